"""The long-running service: scheduler, inbox pickup, /health and /metrics."""
