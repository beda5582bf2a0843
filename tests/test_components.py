"""Components declare what they read, produce and publish (analytics/components.py); the SQL
files they run name what they read in a `-- reads:` header. These tests hold the declarations,
the headers and the SQL itself against each other, so the table graph a reader sees is true."""

from __future__ import annotations

import pytest

from analytics.components import RUN_INPUTS, in_dependency_order, upstream
from analytics.pipeline import COMPONENTS
from analytics.warehouse import declared_reads, load_sql, sql_dir

sqlglot = pytest.importorskip("sqlglot")  # the spark extra parses the SQL
from sqlglot import exp  # noqa: E402

SQL_FILES = sorted(str(p.relative_to(sql_dir()).with_suffix("")) for p in sql_dir().rglob("*.sql"))


def referenced_tables(text: str) -> set[str]:
    """Relations a SQL file reads: every table it names, less its own CTEs and the target a
    statement writes (which it may still read elsewhere, e.g. in a NOT EXISTS)."""
    found: set[str] = set()
    for statement in sqlglot.parse(text, read="duckdb"):
        if statement is None or isinstance(statement, exp.Create):
            continue
        ctes = {cte.alias for cte in statement.find_all(exp.CTE)}
        parts = [statement]
        if isinstance(statement, exp.Insert | exp.Delete | exp.Update):
            parts = [v for k, v in statement.args.items() if k != "this" and v is not None]
        for part in parts:
            for node in part if isinstance(part, list) else [part]:
                if not isinstance(node, exp.Expression):
                    continue
                for table in node.find_all(exp.Table):
                    if table.name and table.name not in ctes:
                        found.add(f"{table.db}.{table.name}" if table.db else table.name)
    return found


def _is_macro_script(text: str) -> bool:
    return all(
        isinstance(s, exp.Create) for s in sqlglot.parse(text, read="duckdb") if s is not None
    )


def test_every_sql_file_names_what_it_reads():
    missing = [name for name in SQL_FILES if not load_sql(name).count("-- reads:")]
    assert missing == []


@pytest.mark.parametrize("name", SQL_FILES)
def test_the_reads_header_is_what_the_sql_reads(name: str):
    text = load_sql(name)
    if _is_macro_script(text):
        assert declared_reads(name) == (), name  # a script of macros reads nothing
        return
    assert set(declared_reads(name)) == referenced_tables(text), name


def test_components_run_after_the_producers_of_what_they_read():
    order = [c.name for c in COMPONENTS]
    producer = {table: c.name for c in COMPONENTS for table in c.produces}
    for component in COMPONENTS:
        for table in component.reads:
            if table in RUN_INPUTS:
                continue
            assert table in producer, f"{component.name} reads {table}, which nothing produces"
            assert order.index(producer[table]) < order.index(component.name)


def test_each_components_sql_reads_only_what_it_declares_or_makes():
    for component in COMPONENTS:
        allowed = set(component.reads) | set(component.produces) | set(RUN_INPUTS)
        for name in component.queries:
            for table in declared_reads(name):
                if "." in table:  # a warehouse table: there before any run
                    continue
                assert table in allowed, f"{component.name} runs {name}, which reads {table}"


def test_nothing_two_components_make_has_one_name():
    made = [table for c in COMPONENTS for table in c.produces]
    assert len(made) == len(set(made))


def test_the_order_follows_the_declarations_not_the_listing():
    reversed_order = in_dependency_order(list(reversed(COMPONENTS)))
    names = [c.name for c in reversed_order]
    assert names.index("scenario_outcomes") < names.index("counterfactuals")
    assert names.index("counterfactuals") < names.index("weight_grid")
    assert upstream(COMPONENTS, "weight_grid") == ["counterfactuals", "scenario_outcomes"]
    assert upstream(COMPONENTS, "sizing_grid") == []
