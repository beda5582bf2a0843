"""CLI commands of the service layer (serve, health), registered by analytics.cli."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
