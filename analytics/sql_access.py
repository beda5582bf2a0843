"""Read-only SQL for analysts: SELECT-like statements on a read-only connection, nothing else."""

from __future__ import annotations

import re

import duckdb

from analytics.errors import ReadOnlyError, TradelensError, first_line
from analytics.warehouse import Warehouse

# Statement types that read; anything else (INSERT, CREATE, COPY, ATTACH, SET…) is refused
# before it reaches the database.
READ_STATEMENTS = {"SELECT", "EXPLAIN", "PRAGMA"}
# PRAGMAs that write files or run the statements of files, which a read-only open does not stop.
WRITING_PRAGMAS = {"import_database", "profiling_output", "profile_output"}


def run_query(
    warehouse: Warehouse, query: str, params: dict | list | None = None
) -> tuple[list[str], list[tuple]]:
    """Columns and rows of the last statement of `query`; writes are refused."""
    statements = _statements(query)
    for statement in statements:
        _refuse_writes(statement)
    try:
        for statement in statements[:-1]:
            warehouse.execute(statement.query)
        cur = warehouse.con.execute(statements[-1].query, params or None)
        columns = [d[0] for d in cur.description or []]
        return columns, cur.fetchall()
    except duckdb.Error as exc:
        raise TradelensError(f"query failed: {first_line(exc)}") from None


def _refuse_writes(statement: duckdb.Statement) -> None:
    kind = statement.type.name
    if kind == "EXPLAIN":
        # EXPLAIN ANALYZE runs the statement it explains (a COPY ... TO writes its file).
        for explained in _statements(_explained_text(statement.query)):
            _refuse_writes(explained)
        return
    if kind == "PRAGMA":
        name = _word_after_first(statement.query)
        if name.lower() not in WRITING_PRAGMAS:
            return
        kind = f"PRAGMA {name}"
    elif kind in READ_STATEMENTS:
        return
    raise ReadOnlyError(
        f"tradelens sql is read-only: a {kind} statement is refused "
        "(use SELECT; outputs change only through tradelens commands)"
    )


def _tokens(query: str) -> list[int]:
    """Start offsets of the tokens of `query`, comments left out."""
    return [pos for pos, kind in duckdb.tokenize(query) if kind != duckdb.token_type.comment]


def _word_after_first(query: str) -> str:
    starts = _tokens(query)
    word = re.match(r"\w*", query[starts[1] :]) if len(starts) > 1 else None
    return word.group(0) if word else ""


def _explained_text(query: str) -> str:
    """The text after EXPLAIN, its (options) and ANALYZE: the statement being explained."""
    starts = _tokens(query)
    i = 1
    if i < len(starts) and query[starts[i]] == "(":
        while i < len(starts) and query[starts[i]] != ")":
            i += 1
        i += 1
    if i < len(starts) and query[starts[i] :].lower().startswith(("analyze", "analyse")):
        i += 1
    return query[starts[i] :] if i < len(starts) else ""


def _statements(query: str) -> list:
    try:
        statements = duckdb.extract_statements(query)
    except duckdb.Error as exc:
        raise TradelensError(f"query failed: {first_line(exc)}") from None
    if not statements:
        raise TradelensError("no SQL statement given")
    return statements
