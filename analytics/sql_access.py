"""Read-only SQL for analysts: SELECT-like statements on a read-only connection, nothing else."""

from __future__ import annotations

from pathlib import Path

import duckdb

from analytics.errors import ReadOnlyError, TradelensError
from analytics.warehouse import connect

# Statement types that read; anything else (INSERT, CREATE, COPY, ATTACH, SET…) is refused
# before it reaches the database.
READ_STATEMENTS = {"SELECT", "EXPLAIN", "PRAGMA"}


def run_query(path: Path, query: str, params: dict | None = None) -> tuple[list[str], list[tuple]]:
    """Columns and rows of the last statement of `query`; writes are refused."""
    statements = _statements(query)
    for statement in statements:
        kind = statement.type.name
        if kind not in READ_STATEMENTS:
            raise ReadOnlyError(
                f"tradelens sql is read-only: a {kind} statement is refused "
                "(use SELECT; outputs change only through tradelens commands)"
            )
    with connect(path, read_only=True) as con:
        try:
            for statement in statements[:-1]:
                con.execute(statement.query).fetchall()
            cur = con.execute(statements[-1].query, params or {})
            columns = [d[0] for d in cur.description or []]
            return columns, cur.fetchall()
        except duckdb.Error as exc:
            raise TradelensError(f"query failed: {_first_line(exc)}") from None


def _statements(query: str) -> list:
    try:
        statements = duckdb.extract_statements(query)
    except duckdb.Error as exc:
        raise TradelensError(f"query failed: {_first_line(exc)}") from None
    if not statements:
        raise TradelensError("no SQL statement given")
    return statements


def _first_line(exc: Exception) -> str:
    lines = [ln for ln in str(exc).splitlines() if ln.strip()]
    return lines[0] if lines else type(exc).__name__
