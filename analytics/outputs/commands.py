"""CLI commands of the outputs layer (export, report), registered by analytics.cli."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
