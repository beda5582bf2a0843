"""What every command shares: --format and --config options, the warehouse chosen on the
group, help examples, the progress bar."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from analytics.output import FORMATS, err_console


def current_warehouse() -> Path:
    """The warehouse file chosen by --warehouse / TRADELENS_WAREHOUSE on the group."""
    return click.get_current_context().find_root().obj["warehouse"]


def format_option(f: Callable) -> Callable:
    """The same --format option on every command that prints rows."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default="table",
        show_default=True,
        help="table for people, csv or json for machines",
    )(f)


def config_option(f: Callable) -> Callable:
    return click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False),
        default=None,
        help="TOML settings (default: ./tradelens.toml if present, else built-in defaults)",
    )(f)


def example(text: str) -> str:
    """An epilog showing one example invocation in --help."""
    return f"\b\nExample:\n  {text}"


@contextmanager
def progress_bar() -> Iterator[Progress]:
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    ) as progress:
        yield progress
