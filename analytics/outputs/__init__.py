"""What tradelens gives people and tools: exports, the HTML report, the trader's summary."""
