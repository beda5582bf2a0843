"""Replay of decisions against price history: price_at, counterfactuals, the timing grid."""
