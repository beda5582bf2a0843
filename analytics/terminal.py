"""One writer for every command's tabular output: rich tables for people, CSV/JSON for machines."""

from __future__ import annotations

import csv
import json
import math
import sys
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from rich.console import Console
from rich.table import Table

FORMATS = ("table", "csv", "json")
console = Console()
# soft_wrap: an error is one line however long its file path; rich would fold it at 80 columns.
err_console = Console(stderr=True, soft_wrap=True)


def write_rows(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str = "table", title: str = ""
) -> None:
    if fmt == "json":
        records = [dict(zip(columns, map(_jsonable, r), strict=True)) for r in rows]
        sys.stdout.write(json.dumps(records, indent=2, default=str) + "\n")
    elif fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([["" if v is None else v for v in r] for r in rows])
    else:
        table = Table(title=title or None, show_lines=False)
        for c in columns:
            table.add_column(c, overflow="fold")
        for r in rows:
            table.add_row(*(_cell(v) for v in r))
        console.print(table)


def _jsonable(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, datetime | date):
        return v.isoformat()
    return v


def _cell(v: Any) -> str:
    if v is None:
        return "[dim]null[/dim]"
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)
