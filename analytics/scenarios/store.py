"""Scenario outcomes computed once: the store in state.scenario_outcomes (SPEC §4 outcomes).

A run needs the outcome of every decision at a few moments (entry delay, hold): the timing
grid's cells, the current timing setting and the counterfactual cell. An outcome whose legs are
resolved depends only on the decision, the settings in `inputs_key` and the bars it used, so
it is reused until a bar arrives or is corrected inside one of its legs' windows. Each run:
  - keeps the cached outcomes still valid (sql/scenarios/cache_valid.sql),
  - replays the decisions that have any invalid or missing outcome at all moments,
  - replays every decision at moments never computed before (a new current timing),
and writes the store back in the publishing transaction (`save_outcome_store`).
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass

import duckdb

from analytics.config import Settings
from analytics.engines import Engine
from analytics.scenarios.prices import replay
from analytics.warehouse import execute_script, fetch_one, load_sql, unordered

# Settings an outcome depends on; any change recomputes every outcome (detected, not guessed).
OUTCOME_SETTINGS = (
    "fee_bps",
    "slippage_bps",
    "max_staleness_min",
    "default_notional",
    "counterfactual_weight",
)
CURRENT_TIMING_CELL = 0


@dataclass(frozen=True)
class ScenarioCell:
    """A moment a run replays decisions at, and why: the timing grid, the current timing
    setting (for the significance test), or the counterfactual (SPEC §5)."""

    cell_id: int
    entry_delay_min: float
    hold_min: float
    role: str  # grid | current | counterfactual


@dataclass(frozen=True)
class StoreStats:
    reused: int
    replayed: int
    full: bool


def run_cells(settings: Settings, current_timing: tuple[float, float]) -> list[ScenarioCell]:
    grid = itertools.product(settings.entry_delays_min, settings.holds_min)
    cells = [ScenarioCell(CURRENT_TIMING_CELL, *map(float, current_timing), "current")]
    cells += [ScenarioCell(i, float(d), float(h), "grid") for i, (d, h) in enumerate(grid, 1)]
    cells.append(ScenarioCell(len(cells), 0.0, float(settings.default_hold_min), "counterfactual"))
    return cells


def inputs_key(settings: Settings) -> str:
    values = {name: getattr(settings, name) for name in OUTCOME_SETTINGS}
    if settings.engine == "spark" and settings.spark_prices:
        # bars read from outside the warehouse: outcomes a DuckDB run must not reuse
        values["bars"] = settings.spark_prices
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:16]


def compute_run_outcomes(
    engine: Engine,
    settings: Settings,
    cells: list[ScenarioCell],
    *,
    full: bool = False,
) -> StoreStats:
    """Table `run_outcomes` of the engine: every decision at every distinct moment of `cells`.

    What to replay is planned in the warehouse, which holds the store; on an engine other
    than the warehouse itself every outcome is replayed (the store's reuse test reads bars and
    files of the warehouse, which need not hold the engine's bars)."""
    con = engine.con
    _create_cell_tables(engine, cells)
    key = inputs_key(settings)
    watermark = fetch_one(
        con, "SELECT inputs_key, files_seen_at FROM state.scenario_watermark ORDER BY run_id DESC"
    )
    full = full or engine.name != "duckdb" or watermark is None or watermark[0] != key
    con.execute(
        "CREATE OR REPLACE TEMP TABLE run_files_seen AS "
        "SELECT max(ingested_at) AS files_seen_at FROM raw.files"
    )
    _plan_reuse(con, key, None if full else (watermark[1] or "-infinity"))
    moments = con.execute(
        "SELECT moment_id, entry_delay_min, hold_min, moment_id IN "
        "(SELECT moment_id FROM known_moments) FROM run_moments ORDER BY moment_id"
    ).fetchall()
    for planned in ("cache_valid", "replay_decisions"):
        engine.upload(planned)
    every_moment = [(m, d, h) for m, d, h, _ in moments]
    new_moments = [(m, d, h) for m, d, h, known in moments if not known]
    # A replay with nothing to replay still sorts every bar: skip it (a full run replays all
    # decisions as "reuse" at moments new to the empty store; an unchanged run replays none).
    changed = fetch_one(con, "SELECT count(*) FROM replay_decisions")[0] > 0
    if new_moments:
        replay(engine, "replayed_new", "reuse", new_moments, settings)
    if changed or not new_moments:
        replay(engine, "replayed_changed", "replay", every_moment, settings)
    else:
        engine.create("replayed_changed", "SELECT * FROM replayed_new LIMIT 0")
    if not new_moments:
        engine.create("replayed_new", "SELECT * FROM replayed_changed LIMIT 0")
    engine.execute(load_sql("scenarios/run_replayed"))
    engine.execute(load_sql("scenarios/run_outcomes"))
    # run_outcomes holds every decision at every moment: what was not replayed was reused
    replayed = engine.frame(
        "SELECT (SELECT count(*) FROM replayed_changed) + (SELECT count(*) FROM replayed_new) AS n"
    )["n"][0]
    outcomes = fetch_one(con, "SELECT count(*) FROM run_decisions")[0] * len(moments)
    return StoreStats(reused=outcomes - replayed, replayed=replayed, full=full)


def _create_cell_tables(engine: Engine, cells: list[ScenarioCell]) -> None:
    engine.values(
        "run_cells",
        "cell_id INTEGER, entry_delay_min DOUBLE, hold_min DOUBLE, role VARCHAR",
        [(c.cell_id, c.entry_delay_min, c.hold_min, c.role) for c in cells],
    )
    engine.con.execute(
        """
        CREATE OR REPLACE TEMP TABLE run_moments AS
        SELECT
            CAST(row_number() OVER (ORDER BY entry_delay_min, hold_min) AS INTEGER) AS moment_id,
            entry_delay_min,
            hold_min,
            bool_or(role = 'grid') AS in_timing_grid,
            bool_or(role = 'counterfactual') AS is_counterfactual,
            bool_or(role = 'current') AS is_current_timing
        FROM run_cells
        GROUP BY entry_delay_min, hold_min
        """
    )
    engine.upload("run_moments")


def _plan_reuse(con: duckdb.DuckDBPyConnection, key: str, files_seen_at: object) -> None:
    """Views `stored_outcomes` and `cache_valid` over the store, tables `known_moments` and
    `replay_decisions`. `files_seen_at` None: a full recompute, nothing reused.

    A decision is replayed at every moment unless the store holds a valid outcome of it at
    each moment the store knows; moments it never held are replayed for everyone."""
    if files_seen_at is None:
        con.execute("CREATE OR REPLACE TEMP TABLE changed_bars AS " + _NO_CHANGED_BARS)
        con.execute("CREATE OR REPLACE TEMP TABLE stale_outcomes AS " + _NO_STALE_OUTCOMES)
        key = ""  # matches no stored outcome
    else:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE changed_bars AS {load_sql('scenarios/changed_bars')}",
            {"files_seen_at": files_seen_at},
        )
        con.execute(
            "CREATE OR REPLACE TEMP TABLE stale_outcomes AS "
            + load_sql("scenarios/stale_outcomes")
        )
    con.execute(load_sql("scenarios/stored_outcomes").replace("$inputs_key", _quoted(key)))
    con.execute(
        "CREATE OR REPLACE TEMP TABLE known_moments AS "
        "SELECT DISTINCT moment_id FROM stored_outcomes"
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE replay_decisions AS
        SELECT d.decision_idx
        FROM run_decisions AS d
        LEFT JOIN (SELECT decision_idx, count(*) AS n FROM stored_outcomes GROUP BY ALL) AS v
            USING (decision_idx)
        WHERE coalesce(v.n, 0) < (SELECT count(*) FROM known_moments)
        """
    )
    con.execute(load_sql("scenarios/cache_valid"))


def _quoted(text: str) -> str:
    """A SQL string literal: a view's definition cannot hold a $parameter."""
    return "'" + text.replace("'", "''") + "'"


_NO_CHANGED_BARS = (
    "SELECT CAST(NULL AS VARCHAR) AS symbol, CAST(NULL AS TIMESTAMP) AS available_at, "
    "false AS from_correcting_file LIMIT 0"
)
_NO_STALE_OUTCOMES = (
    "SELECT decision_key, entry_delay_min, hold_min FROM state.scenario_outcomes LIMIT 0"
)


def save_outcome_store(
    con: duckdb.DuckDBPyConnection, run_id: int, settings: Settings, stats: StoreStats
) -> None:
    """Bring state.scenario_outcomes to this run's outcomes; call inside the publishing
    transaction so the store always matches the newest published version."""
    params = {"run_id": run_id, "inputs_key": inputs_key(settings)}
    if stats.reused:
        execute_script(con, load_sql("scenarios/prune_outcome_store"), params)
    else:  # nothing reused (a full recompute): every stored outcome is replaced
        con.execute("DELETE FROM state.scenario_outcomes")
    with unordered(con):
        execute_script(con, load_sql("scenarios/save_outcome_store"), params)
