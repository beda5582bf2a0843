"""Incremental recompute: each decision's scenario outcomes are stored once, in state.*.

`state.scenario_outcomes` holds the outcome of every (decision, entry delay, hold) the newest
published run needed, with the bars it used and the settings it depends on (`inputs_key`).
A later run recomputes only what is new, pending, or touched by bars that arrived or were
corrected since (see sql/scenarios/cache_*.sql). It is replaced inside each publishing
transaction, so it always matches the newest published version; `latest.timing_outcomes`
reads it. `history.timing_outcomes` (a full copy per version, 16 million rows a version at a
million decisions) is dropped.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

LATEST_TIMING_OUTCOMES = """
    CREATE VIEW latest.timing_outcomes AS
    SELECT
        o.computed_run AS run_id,
        o.decision_id,
        o.kind,
        o.entry_delay_min,
        o.hold_min,
        o.entry_t,
        o.entry_px,
        o.exit_t,
        o.exit_px,
        o.ret,
        o.pnl,
        o.weight,
        o.status
    FROM state.scenario_outcomes AS o
    JOIN state.scenario_cells AS c
        ON c.entry_delay_min = o.entry_delay_min
        AND c.hold_min = o.hold_min
    WHERE c.in_timing_grid
"""


def upgrade() -> None:
    op.execute("CREATE SCHEMA IF NOT EXISTS state")
    op.execute(
        """
        CREATE TABLE state.scenario_outcomes (
            decision_id      VARCHAR NOT NULL,
            kind             VARCHAR NOT NULL,
            symbol           VARCHAR NOT NULL,
            entry_delay_min  DOUBLE NOT NULL,
            hold_min         DOUBLE NOT NULL,
            entry_t          TIMESTAMP NOT NULL,
            exit_t           TIMESTAMP NOT NULL,
            entry_bar_at     TIMESTAMP,          -- available_at of the bar each leg used
            exit_bar_at      TIMESTAMP,
            entry_px         DOUBLE,
            exit_px          DOUBLE,
            status           VARCHAR NOT NULL,   -- ok | pending | stale
            ret              DOUBLE,
            pnl              DOUBLE,
            weight           DOUBLE NOT NULL,
            inputs_key       VARCHAR NOT NULL,   -- hash of the settings the outcome depends on
            computed_run     BIGINT NOT NULL
        )
        """
    )
    op.execute(
        """
        CREATE TABLE state.scenario_cells (
            entry_delay_min     DOUBLE NOT NULL,
            hold_min            DOUBLE NOT NULL,
            in_timing_grid      BOOLEAN NOT NULL,
            is_counterfactual   BOOLEAN NOT NULL,
            is_current_timing   BOOLEAN NOT NULL
        )
        """
    )
    op.execute(
        """
        CREATE TABLE state.scenario_watermark (
            run_id           BIGINT NOT NULL,
            inputs_key       VARCHAR NOT NULL,
            files_seen_at    TIMESTAMP           -- newest raw.files.ingested_at the cache saw
        )
        """
    )
    op.execute("DROP VIEW IF EXISTS latest.timing_outcomes")
    op.execute("DROP TABLE IF EXISTS history.timing_outcomes")
    op.execute(LATEST_TIMING_OUTCOMES)


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS latest.timing_outcomes")
    op.execute(
        """
        CREATE TABLE history.timing_outcomes (
            run_id BIGINT NOT NULL, decision_id VARCHAR NOT NULL, kind VARCHAR NOT NULL,
            entry_delay_min DOUBLE NOT NULL, hold_min DOUBLE NOT NULL,
            entry_t TIMESTAMP NOT NULL, entry_px DOUBLE, exit_t TIMESTAMP NOT NULL,
            exit_px DOUBLE, ret DOUBLE, pnl DOUBLE, weight DOUBLE NOT NULL, status VARCHAR NOT NULL
        )
        """
    )
    op.execute(
        "CREATE VIEW latest.timing_outcomes AS SELECT * FROM history.timing_outcomes "
        "WHERE run_id = (SELECT max(run_id) FROM main.runs WHERE published)"
    )
    for table in ("scenario_watermark", "scenario_cells", "scenario_outcomes"):
        op.execute(f"DROP TABLE IF EXISTS state.{table}")
    op.execute("DROP SCHEMA IF EXISTS state")
