"""`python -m analytics` is the `tradelens` command."""

from analytics.cli import main

main()
