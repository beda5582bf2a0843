"""One writer for every command's tabular output: rich tables for people, CSV/JSON for machines.

A table never breaks a number or a header across lines: columns keep their full width, only
prose (notes, errors) wraps, and when even that does not fit the terminal (80 columns, or a
pipe) each row is printed as a block of `column: value` lines instead. Moments leave in UTC with
an explicit `Z`.
"""

from __future__ import annotations

import csv
import json
import math
import sys
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table

from analytics.times import iso_utc

FORMATS = ("table", "csv", "json")
console = Console()
# soft_wrap: an error is one line however long its file path; rich would fold it at 80 columns.
err_console = Console(stderr=True, soft_wrap=True)
PROSE_MIN_WIDTH = 16  # a wrapping column gets at least this much before rows go vertical


def write_rows(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str = "table", title: str = ""
) -> None:
    if fmt == "json":
        records = [dict(zip(columns, map(jsonable, r), strict=True)) for r in rows]
        sys.stdout.write(json.dumps(records, indent=2, default=str) + "\n")
    elif fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([["" if v is None else _csv_value(v) for v in r] for r in rows])
    else:
        print_table(columns, [[cell(v) for v in r] for r in rows], title)


def write_json(document: Any) -> None:
    """One JSON document (nested dicts and lists), its values as `jsonable` makes them."""
    sys.stdout.write(json.dumps(_jsonable_tree(document), indent=2) + "\n")


def _jsonable_tree(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _jsonable_tree(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_jsonable_tree(x) for x in v]
    return jsonable(v)


def print_table(columns: Sequence[str], cells: Sequence[Sequence[str]], title: str = "") -> None:
    """Cells (already text) as a table that fits the console, else as blocks of lines."""
    widths = [max([len(c), *(len(_plain(r[i])) for r in cells)]) for i, c in enumerate(columns)]
    prose = [_is_prose([r[i] for r in cells]) for i in range(len(columns))]
    needed = sum(min(w, PROSE_MIN_WIDTH) if p else w for w, p in zip(widths, prose, strict=True))
    if needed + 3 * len(columns) + 1 > console.width:
        _print_vertical(columns, cells, title)
        return
    table = Table(title=title or None, show_lines=False)
    for column, is_prose in zip(columns, prose, strict=True):
        table.add_column(column, no_wrap=not is_prose, overflow="fold" if is_prose else "ignore")
    for row in cells:
        table.add_row(*row)
    console.print(table)


def _print_vertical(columns: Sequence[str], cells: Sequence[Sequence[str]], title: str) -> None:
    if title:
        console.print(f"[bold]{title}[/bold]")
    label = max(len(c) for c in columns)
    for i, row in enumerate(cells):
        if i:
            console.print()
        for column, value in zip(columns, row, strict=True):
            console.print(f"{column:>{label}}  {value}", highlight=False, soft_wrap=True)


def _is_prose(values: Sequence[str]) -> bool:
    """Words that may wrap (a note, an error), not a figure or an identifier."""
    return any(" " in _plain(v) and len(_plain(v)) > PROSE_MIN_WIDTH for v in values)


def _plain(text: str) -> str:
    return text.replace("[dim]", "").replace("[/dim]", "")


def jsonable(v: Any) -> Any:
    """A value for JSON: moments in UTC with Z, no NaN or infinity, decimals as numbers."""
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, datetime):
        return iso_utc(v)
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return float(v)
    return v


def _csv_value(v: Any) -> Any:
    return iso_utc(v) if isinstance(v, datetime) else v


def cell(v: Any) -> str:
    if v is None:
        return "[dim]null[/dim]"
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, datetime):
        return iso_utc(v)
    return str(v)
