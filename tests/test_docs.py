"""docs/sql.md stays true: every table, view and column it names exists with the type it gives,
every analyst-visible table is documented, and every example query runs on a real warehouse."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from case_warehouse import case_warehouse_fixture  # noqa: F401  (the case_warehouse fixture)

from analytics.context import Tradelens
from analytics.errors import TradelensError

DOC = Path(__file__).resolve().parents[1] / "docs" / "sql.md"
ANALYST_SCHEMAS = ("raw", "main", "history", "latest")
INTERNAL = {("main", "alembic_version")}


def documented_tables(text: str) -> dict[str, list[tuple[str, str]]]:
    """`### schema.table` sections with a `| column | type | meaning |` table: name -> columns."""
    tables: dict[str, list[tuple[str, str]]] = {}
    current = None
    for line in text.splitlines():
        heading = re.match(r"^### `?([a-z_]+(?:\.[a-z_]+)?)`?\s*$", line)
        if heading:
            name = heading.group(1)
            current = name if "." in name else f"main.{name}"
            tables[current] = []
            continue
        if line.startswith("#"):
            current = None
        cells = (
            [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        )
        if current and len(cells) == 3 and cells[0] not in ("column", "---"):
            tables[current].append((cells[0], cells[1]))
    return {name: columns for name, columns in tables.items() if columns}


def documented_latest_views(text: str) -> dict[str, str]:
    """The `latest views` table: view -> source table."""
    section = text.split("### latest views", 1)[1].split("\n## ", 1)[0]
    return dict(re.findall(r"^\| `(latest\.[a-z_]+)` \| `([a-z_]+\.[a-z_]+)`", section, re.M))


def example_queries(text: str) -> list[str]:
    return re.findall(r"```sql\n(.*?)```", text, re.S)


def warehouse_columns(lens: Tradelens) -> dict[str, list[tuple[str, str]]]:
    _, rows = lens.sql(
        "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema IN ('raw', 'main', 'history', 'latest') "
        "ORDER BY table_schema, table_name, ordinal_position"
    )
    found: dict[str, list[tuple[str, str]]] = {}
    for schema, table, column, kind in rows:
        if (schema, table) not in INTERNAL:
            found.setdefault(f"{schema}.{table}", []).append((column, kind))
    return found


@pytest.fixture(scope="module")
def doc() -> str:
    return DOC.read_text()


@pytest.fixture(scope="module")
def lens(case_warehouse):
    """The case warehouse in one read-only session, queried as `tradelens sql` does."""
    lens = Tradelens(case_warehouse)
    with lens.session(read_only=True):
        yield lens


def test_every_documented_column_exists_with_its_type_and_none_is_missing(doc, lens):
    actual = warehouse_columns(lens)
    documented = documented_tables(doc)
    assert len(documented) >= 13  # 5 raw, runs, run_components, 5 history, 1 latest
    for table, columns in documented.items():
        assert table in actual, f"docs/sql.md documents {table}, which does not exist"
        assert columns == actual[table], f"{table}: documented columns differ from the warehouse"


def test_every_analyst_table_and_view_is_documented(doc, lens):
    actual = warehouse_columns(lens)
    documented = documented_tables(doc)
    views = documented_latest_views(doc)
    for table in actual:
        known = documented if not table.startswith("latest.") else documented | views
        assert table in known, f"{table} is not documented in docs/sql.md"
    for view, source in views.items():
        assert actual[view] == actual[source], f"{view} has other columns than {source}"


def test_every_table_the_doc_mentions_exists(doc, lens):
    actual = warehouse_columns(lens)
    mentioned = set(re.findall(r"\b((?:raw|main|history|latest)\.[a-z_]+)\b", doc))
    assert {"latest.timing_outcomes", "latest.run", "raw.decisions"} <= mentioned
    assert sorted(mentioned - set(actual)) == []


def test_every_example_query_runs(doc, lens):
    queries = example_queries(doc)
    assert len(queries) >= 10
    with_rows = 0
    for query in queries:
        try:
            columns, rows = lens.sql(query)
        except TradelensError as exc:
            pytest.fail(f"example query failed: {exc}\n{query}")
        assert columns, query
        with_rows += bool(rows)
    # the conformance case has blocked trades, grids, two versions and rejects: all but the
    # failed-components query find something
    assert with_rows >= len(queries) - 1


SHARED_SPEC = Path(__file__).resolve().parents[2] / "shared" / "SPEC.md"


def test_the_spec_in_the_repository_is_the_shared_contract():
    """docs/spec.md is a copy of the shared SPEC.md (the source the conformance cases are
    written against) with a preface; compared whenever the shared copy is beside the repo."""
    if not SHARED_SPEC.exists():
        pytest.skip("no shared SPEC.md beside this clone: the in-repo copy stands alone")
    ours = (DOC.parent / "spec.md").read_text()
    preface, _, body = ours.partition("-->\n\n")
    assert preface.startswith("<!--") and body == SHARED_SPEC.read_text()
