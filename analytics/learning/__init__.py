"""Turning scenario results into the bot's next settings: grids, guarded gradual updates, state."""
