"""The warehouse schema is built, removed and rebuilt by the Alembic migrations alone."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from analytics.errors import WarehouseError
from analytics.warehouse import (
    current_revision,
    head_revision,
    init_warehouse,
    load_sql,
    migrate,
    open_warehouse,
)

# What SPEC §10 promises at every revision, and what revision 0002 built exactly, by hand.
RAW_TABLES = {("raw", "files"), ("raw", "prices"), ("raw", "decisions"), ("raw", "rejects")}
SPEC_OUTPUTS = ("counterfactuals", "timing_grid", "weight_grid", "sizing_grid", "learned_state")
SPEC_TABLES = RAW_TABLES | {("main", "runs")}
SPEC_VIEWS = {("latest", t) for t in SPEC_OUTPUTS}
# history.<output> shows every version: a table up to 0006, a view over versions.* since 0007
SPEC_HISTORY = {("history", t) for t in SPEC_OUTPUTS}
REVISION_0002_HISTORY = (*SPEC_OUTPUTS, "timing_outcomes")
REVISION_0002 = {
    "BASE TABLE": RAW_TABLES
    | {("main", "runs"), ("main", "run_components")}
    | {("history", t) for t in REVISION_0002_HISTORY},
    "VIEW": {("latest", t) for t in REVISION_0002_HISTORY} | {("latest", "run")},
}


def relations(path: Path) -> dict[str, set[tuple[str, str]]]:
    """Tables and views of the warehouse (alembic's own bookkeeping table left out)."""
    with connect_any(path) as con:
        rows = con.execute(
            """
            SELECT table_type, table_schema, table_name
            FROM information_schema.tables
            WHERE table_name <> 'alembic_version'
            """
        ).fetchall()
    found: dict[str, set[tuple[str, str]]] = {"BASE TABLE": set(), "VIEW": set()}
    for kind, schema, name in rows:
        found[kind].add((schema, name))
    return found


def connect_any(path: Path) -> duckdb.DuckDBPyConnection:
    """A raw read-only connection that does not insist on the current revision."""
    return duckdb.connect(str(path), read_only=True)


def test_upgrade_from_empty_downgrade_to_base_and_upgrade_again(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "folder" / "tradelens.duckdb"
    assert current_revision(path) is None

    assert init_warehouse(path) == head_revision() == current_revision(path)
    built = relations(path)
    # later revisions change what the SPEC leaves open; what it names is always there
    assert built["BASE TABLE"] >= SPEC_TABLES
    assert built["VIEW"] >= SPEC_VIEWS
    assert built["BASE TABLE"] | built["VIEW"] >= SPEC_HISTORY

    migrate(path, "0002")
    assert current_revision(path) == "0002"
    assert relations(path) == REVISION_0002

    migrate(path, "0001")
    assert current_revision(path) == "0001"
    assert relations(path) == {"BASE TABLE": RAW_TABLES, "VIEW": set()}

    migrate(path, "base")
    assert current_revision(path) is None
    assert relations(path) == {"BASE TABLE": set(), "VIEW": set()}
    with connect_any(path) as con:
        schemas = {r[0] for r in con.execute("SELECT schema_name FROM duckdb_schemas()").fetchall()}
    assert not schemas & {"raw", "history", "latest"}

    migrate(path)
    assert current_revision(path) == head_revision()
    assert relations(path) == built


def test_writer_upgrades_an_older_revision(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    migrate(path, "0001")
    with open_warehouse(path) as wh:
        runs = wh.value("SELECT count(*) FROM runs")
    assert runs == 0
    assert current_revision(path) == head_revision()


def test_reader_of_an_older_revision_is_told_to_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    migrate(path, "0001")
    with (
        pytest.raises(WarehouseError, match="tradelens init"),
        open_warehouse(path, read_only=True),
    ):
        pass
    assert current_revision(path) == "0001"  # a reader never migrates


def test_missing_warehouse_needs_init_unless_created(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with (
        pytest.raises(WarehouseError, match=r"no warehouse at .*tradelens init"),
        open_warehouse(path),
    ):
        pass
    assert not path.exists()
    with open_warehouse(path, create=True) as wh:
        assert wh.value("SELECT count(*) FROM raw.prices") == 0
    assert current_revision(path) == head_revision()


def test_init_is_idempotent_and_keeps_data(warehouse: Path) -> None:
    with open_warehouse(warehouse) as wh:
        wh.execute(
            "INSERT INTO raw.rejects VALUES ('f', 'id', 'prices', 1, 'ts', 'bad', '{}', now())"
        )
    assert init_warehouse(warehouse) == head_revision()
    with open_warehouse(warehouse, read_only=True) as wh:
        assert wh.value("SELECT count(*) FROM raw.rejects") == 1


def test_connections_speak_utc(warehouse: Path) -> None:
    with open_warehouse(warehouse, read_only=True) as wh:
        row = wh.one(
            "SELECT current_setting('TimeZone'), "
            "CAST(TIMESTAMPTZ '2025-03-04 10:00:00-05:00' AS TIMESTAMP)"
        )
    assert row[0] == "UTC"
    assert str(row[1]) == "2025-03-04 15:00:00"


def test_load_sql_reads_sql_files_by_name() -> None:
    assert "parse_ts" in load_sql("ingest/macros")
    with pytest.raises(FileNotFoundError):
        load_sql("ingest/no_such_query")


def test_upgrade_to_0005_keys_stored_decisions_and_their_outcomes(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    migrate(path, "0004")
    with duckdb.connect(str(path)) as con:
        for decision_id in ("c", "a", "b"):
            con.execute(
                "INSERT INTO raw.decisions (decision_id, kind, ts, symbol, direction, "
                "entry_score, components, content_hash, file_id, row_number) VALUES "
                "(?, 'blocked', TIMESTAMP '2025-01-01', 'X', 1, 0.5, MAP {}, 'h', 'f', 1)",
                [decision_id],
            )
        for decision_id in ("b", "gone"):  # an outcome of a decision no longer loaded too
            con.execute(
                "INSERT INTO state.scenario_outcomes (decision_id, kind, symbol, "
                "entry_delay_min, hold_min, entry_t, exit_t, status, weight, inputs_key, "
                "computed_run) VALUES (?, 'blocked', 'X', 0, 60, TIMESTAMP '2025-01-01', "
                "TIMESTAMP '2025-01-01 01:00', 'ok', 0.5, 'k', 1)",
                [decision_id],
            )
    migrate(path, "0005")
    with connect_any(path) as con:
        keys = con.execute("SELECT decision_id, decision_key FROM raw.decisions").fetchall()
        stored = con.execute(
            "SELECT decision_id, decision_key FROM state.scenario_outcomes"
        ).fetchall()
    assert sorted(keys) == [("a", 0), ("b", 1), ("c", 2)]  # numbered in decision_id order
    assert stored == [("b", 1)]


def test_0008_keeps_stored_outcomes_without_the_decisions_columns(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    migrate(path, "0007")
    with duckdb.connect(str(path)) as con:
        con.execute(
            "INSERT INTO raw.decisions (decision_id, kind, ts, symbol, direction, entry_score, "
            "components, content_hash, file_id, row_number, decision_key) VALUES "
            "('b', 'blocked', TIMESTAMP '2025-01-01', 'X', 1, 0.5, MAP {}, 'h', 'f', 1, 7)"
        )
        con.execute(
            "INSERT INTO state.scenario_outcomes (decision_id, kind, symbol, entry_delay_min, "
            "hold_min, entry_t, exit_t, status, pnl, weight, inputs_key, computed_run, "
            "decision_key) VALUES ('b', 'blocked', 'X', 0, 60, TIMESTAMP '2025-01-01', "
            "TIMESTAMP '2025-01-01 01:00', 'ok', 2.5, 0.5, 'k', 1, 7)"
        )
    migrate(path)
    with connect_any(path) as con:
        columns = [r[0] for r in con.execute("DESCRIBE state.scenario_outcomes").fetchall()]
        stored = con.execute("SELECT decision_key, pnl FROM state.scenario_outcomes").fetchall()
    assert "decision_id" not in columns and "symbol" not in columns
    assert stored == [(7, 2.5)]
    migrate(path, "0007")  # and back: the columns come from the decision
    with connect_any(path) as con:
        back = con.execute(
            "SELECT decision_id, symbol, decision_key FROM state.scenario_outcomes"
        ).fetchall()
    assert back == [("b", "X", 7)]


def test_head_revision_read_from_file_names_is_alembics_head() -> None:
    """The fast path names the head without alembic; alembic's own answer must agree."""
    from alembic.script import ScriptDirectory

    migrations = Path(__file__).resolve().parent.parent / "migrations"
    assert head_revision() == ScriptDirectory(str(migrations)).get_current_head()
