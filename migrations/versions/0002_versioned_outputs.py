"""Versioned outputs: the run log, history.* tables (every row with its run_id), latest.* views.

A version is visible once its `runs.published` flag is set, in the same transaction that
inserted its history rows: that is what makes publishing atomic (SPEC §10).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

METRICS = """
        n             BIGINT NOT NULL,
        n_unresolved  BIGINT NOT NULL,
        total_pnl     DOUBLE NOT NULL,
        weighted_pnl  DOUBLE NOT NULL,
        mean_ret      DOUBLE,
        win_rate      DOUBLE,
        sharpe        DOUBLE,
        max_drawdown  DOUBLE NOT NULL
"""

HISTORY = {
    "counterfactuals": """
        run_id       BIGINT NOT NULL,
        decision_id  VARCHAR NOT NULL,
        symbol       VARCHAR NOT NULL,
        ts           TIMESTAMP NOT NULL,
        direction    VARCHAR NOT NULL,
        reason       VARCHAR NOT NULL,
        notional     DOUBLE NOT NULL,
        entry_t      TIMESTAMP NOT NULL,
        entry_px     DOUBLE,
        exit_t       TIMESTAMP NOT NULL,
        exit_px      DOUBLE,
        ret          DOUBLE,
        pnl          DOUBLE,
        outcome      VARCHAR NOT NULL,
        status       VARCHAR NOT NULL
    """,
    "timing_grid": f"""
        run_id           BIGINT NOT NULL,
        entry_delay_min  DOUBLE NOT NULL,
        hold_min         DOUBLE NOT NULL,
        population       VARCHAR NOT NULL,
        {METRICS}
    """,
    "timing_outcomes": """
        run_id           BIGINT NOT NULL,
        decision_id      VARCHAR NOT NULL,
        kind             VARCHAR NOT NULL,
        entry_delay_min  DOUBLE NOT NULL,
        hold_min         DOUBLE NOT NULL,
        entry_t          TIMESTAMP NOT NULL,
        entry_px         DOUBLE,
        exit_t           TIMESTAMP NOT NULL,
        exit_px          DOUBLE,
        ret              DOUBLE,
        pnl              DOUBLE,
        weight           DOUBLE NOT NULL,
        status           VARCHAR NOT NULL
    """,
    "weight_grid": f"""
        run_id     BIGINT NOT NULL,
        component  VARCHAR NOT NULL,
        variation  DOUBLE NOT NULL,
        weight     DOUBLE NOT NULL,
        {METRICS}
    """,
    "sizing_grid": f"""
        run_id      BIGINT NOT NULL,
        bucket      INTEGER NOT NULL,
        score_lo    DOUBLE,
        score_hi    DOUBLE,
        multiplier  DOUBLE NOT NULL,
        {METRICS}
    """,
    "learned_state": """
        run_id       BIGINT NOT NULL,
        kind         VARCHAR NOT NULL,   -- weight | multiplier | timing
        name         VARCHAR NOT NULL,   -- component | bucket number | entry_delay_min/hold_min
        before       DOUBLE NOT NULL,
        best         DOUBLE,
        after        DOUBLE NOT NULL,
        n            BIGINT,
        significant  BOOLEAN,
        applied      BOOLEAN NOT NULL,
        gain         DOUBLE,             -- objective(best) - objective(current)
        gain_lo      DOUBLE,             -- bootstrap interval of the gain
        gain_hi      DOUBLE,
        score_lo     DOUBLE,             -- bucket edges, for kind = multiplier
        score_hi     DOUBLE,
        note         VARCHAR
    """,
}

LATEST_VIEW = """
    CREATE VIEW latest.{name} AS
    SELECT *
    FROM history.{name}
    WHERE run_id = (SELECT max(run_id) FROM main.runs WHERE published)
"""


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE main.runs (
            run_id       BIGINT PRIMARY KEY,
            started_at   TIMESTAMP NOT NULL,
            finished_at  TIMESTAMP,
            status       VARCHAR NOT NULL,   -- running | success | partial | failed | aborted
            published    BOOLEAN NOT NULL DEFAULT false,
            engine       VARCHAR NOT NULL,
            trigger      VARCHAR NOT NULL,   -- run | counterfactual | serve | demo
            config       VARCHAR NOT NULL,   -- JSON of the settings used
            watermark    VARCHAR,            -- JSON: input counts and newest timestamps
            error        VARCHAR
        )
        """
    )
    op.execute(
        """
        CREATE TABLE main.run_components (
            run_id        BIGINT NOT NULL,
            component     VARCHAR NOT NULL,
            status        VARCHAR NOT NULL,  -- ok | failed | carried | skipped
            attempts      INTEGER NOT NULL,
            seconds       DOUBLE NOT NULL,
            rows          BIGINT,
            carried_from  BIGINT,            -- run whose output was carried forward
            error         VARCHAR
        )
        """
    )
    op.execute("CREATE SCHEMA IF NOT EXISTS history")
    op.execute("CREATE SCHEMA IF NOT EXISTS latest")
    for name, columns in HISTORY.items():
        op.execute(f"CREATE TABLE history.{name} ({columns})")
        op.execute(LATEST_VIEW.format(name=name))
    op.execute(
        """
        CREATE VIEW latest.run AS
        SELECT *
        FROM main.runs
        WHERE run_id = (SELECT max(run_id) FROM main.runs WHERE published)
        """
    )


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS latest.run")
    for name in HISTORY:
        op.execute(f"DROP VIEW IF EXISTS latest.{name}")
        op.execute(f"DROP TABLE IF EXISTS history.{name}")
    op.execute("DROP SCHEMA IF EXISTS latest")
    op.execute("DROP SCHEMA IF EXISTS history")
    op.execute("DROP TABLE IF EXISTS main.run_components")
    op.execute("DROP TABLE IF EXISTS main.runs")
