"""Versions that store what changed; the learning's own store; walk-forward evaluations.

- `versions.<table>` holds each published row once, with the range of versions it belongs to
  (`valid_from` <= run_id < `valid_to`, open-ended while it is current): a row equal in two
  consecutive versions is stored once (SPEC §17). `history.<table>` becomes a view that shows
  every version whole, `latest.<table>` the current rows. Existing rows keep their version.
- `runs.same_as` (the version an `unchanged` run left latest, SPEC §14) and `runs.pruned`
  (a version removed by retention, SPEC §17).
- `history.learned_state` gains `p_value` (SPEC §10, §13).
- `state.cell_days`: the per-(cell, exit day, status) statistics the grids are built from,
  kept between runs and updated by the outcomes that changed; `state.learning_basis`: what
  they were computed under; `state.evidence`: each learning kind's evidence at its last
  evaluation (SPEC §14).
- `evaluations` and `history.evaluation_periods`, `evaluation_summary`, `evaluation_steps`
  with their `latest.` views (SPEC §16).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from alembic import op

revision = "0007"
down_revision = "0006"
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
LEARNED = """
        kind         VARCHAR NOT NULL,
        name         VARCHAR NOT NULL,
        before       DOUBLE NOT NULL,
        best         DOUBLE,
        after        DOUBLE NOT NULL,
        n            BIGINT,
        significant  BOOLEAN,
        applied      BOOLEAN NOT NULL,
        p_value      DOUBLE,
        gain         DOUBLE,
        gain_lo      DOUBLE,
        gain_hi      DOUBLE,
        score_lo     DOUBLE,
        score_hi     DOUBLE,
        note         VARCHAR
"""
# Columns of each versioned table, in their order in history.<table> (after run_id).
VERSIONED = {
    "counterfactuals": """
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
        entry_delay_min  DOUBLE NOT NULL,
        hold_min         DOUBLE NOT NULL,
        population       VARCHAR NOT NULL,
        {METRICS}
    """,
    "weight_grid": f"""
        component  VARCHAR NOT NULL,
        variation  DOUBLE NOT NULL,
        weight     DOUBLE NOT NULL,
        {METRICS}
    """,
    "sizing_grid": f"""
        bucket      INTEGER NOT NULL,
        score_lo    DOUBLE,
        score_hi    DOUBLE,
        multiplier  DOUBLE NOT NULL,
        {METRICS}
    """,
    "learned_state": LEARNED,
}
PUBLISHED = "(SELECT run_id FROM main.runs WHERE published AND NOT pruned)"
HISTORY_VIEW = """
    CREATE VIEW history.{name} AS
    SELECT v.run_id, t.* EXCLUDE (valid_from, valid_to)
    FROM versions.{name} AS t
    JOIN {published} AS v
        ON v.run_id >= t.valid_from
        AND (t.valid_to IS NULL OR v.run_id < t.valid_to)
"""
LATEST_VIEW = """
    CREATE VIEW latest.{name} AS
    SELECT (SELECT max(run_id) FROM main.runs WHERE published) AS run_id,
           t.* EXCLUDE (valid_from, valid_to)
    FROM versions.{name} AS t
    WHERE t.valid_to IS NULL
"""
# The next published version after each one: a copied row stays valid until then.
NEXT_VERSION = """
    SELECT run_id, lead(run_id) OVER (ORDER BY run_id) AS next_run_id
    FROM main.runs
    WHERE published
"""
STATE = [
    """
    CREATE TABLE state.cell_days (
        grid       VARCHAR NOT NULL,   -- timing | weight
        cell       VARCHAR NOT NULL,   -- the cell, as a JSON key of its grid
        status     VARCHAR NOT NULL,   -- ok | pending | stale | open
        day        DATE,               -- UTC exit date of resolved outcomes, else null
        n          BIGINT NOT NULL,
        sum_pnl    DECIMAL(38, 15),
        sum_wpnl   DECIMAL(38, 15),
        sum_ret    DECIMAL(38, 15),
        n_ret      BIGINT NOT NULL,
        wins       BIGINT NOT NULL,
        losses     BIGINT NOT NULL,
        key_sum    BIGINT NOT NULL,    -- Σ a checksum of decision keys (evidence, SPEC §14)
        key_pnl    DECIMAL(38, 15)     -- Σ that checksum × pnl
    )
    """,
    """
    CREATE TABLE state.learning_basis (
        grid       VARCHAR PRIMARY KEY,  -- timing | weight
        run_id     BIGINT NOT NULL,      -- the run that saved state.cell_days of the grid
        params     VARCHAR NOT NULL      -- JSON: what its cells were computed under
    )
    """,
    """
    CREATE TABLE state.evidence (
        kind           VARCHAR PRIMARY KEY,  -- weight | multiplier | timing
        evidence       VARCHAR NOT NULL,     -- digest of the kind's evidence (SPEC §14)
        setting        VARCHAR,              -- timing: JSON of the setting it started from
        current        VARCHAR,              -- timing: digest of that setting's own outcomes
        evaluated_run  BIGINT NOT NULL
    )
    """,
]
EVALUATIONS = """
    CREATE TABLE main.evaluations (
        evaluation_id   BIGINT PRIMARY KEY,
        started_at      TIMESTAMP NOT NULL,
        finished_at     TIMESTAMP,
        status          VARCHAR NOT NULL,   -- running | success | failed | aborted
        config          VARCHAR NOT NULL,   -- JSON of the settings used
        first_boundary  TIMESTAMP,
        end_at          TIMESTAMP,          -- E: the last period's end (SPEC §16)
        boundaries      BIGINT,
        error           VARCHAR
    )
"""
EVALUATION_TABLES = {
    "evaluation_periods": f"""
        evaluation_id  BIGINT NOT NULL,
        boundary       TIMESTAMP NOT NULL,
        kind           VARCHAR NOT NULL,
        policy         VARCHAR NOT NULL,
        {METRICS}
    """,
    "evaluation_summary": f"""
        evaluation_id      BIGINT NOT NULL,
        kind               VARCHAR NOT NULL,
        policy             VARCHAR NOT NULL,
        {METRICS},
        gain_weighted_pnl  DOUBLE,
        periods_better     DOUBLE
    """,
    "evaluation_steps": f"""
        evaluation_id  BIGINT NOT NULL,
        boundary       TIMESTAMP NOT NULL,
        {LEARNED}
    """,
}
LATEST_EVALUATION = """
    CREATE VIEW latest.{name} AS
    SELECT *
    FROM history.{name}
    WHERE evaluation_id = (SELECT max(evaluation_id) FROM main.evaluations
                           WHERE status = 'success')
"""


def upgrade() -> None:
    op.execute("ALTER TABLE main.runs ADD COLUMN same_as BIGINT")
    op.execute("ALTER TABLE main.runs ADD COLUMN pruned BOOLEAN DEFAULT false")
    op.execute("UPDATE main.runs SET pruned = false")
    op.execute("DROP VIEW IF EXISTS latest.run")  # a view binds `*` when made: make it again
    op.execute(LATEST_RUN)
    op.execute("CREATE SCHEMA IF NOT EXISTS versions")
    op.execute("DROP VIEW IF EXISTS latest.counterfactual_days")
    op.execute("DROP VIEW IF EXISTS history.counterfactual_days")
    for name, columns in VERSIONED.items():
        op.execute(f"CREATE TABLE versions.{name} (valid_from BIGINT NOT NULL, "
                   f"valid_to BIGINT, {columns})")  # fmt: skip
        names = [line.split()[0] for line in columns.strip().splitlines() if line.strip()]
        selected = ", ".join(f"NULL AS {c}" if c == "p_value" else f"h.{c}" for c in names)
        op.execute(
            f"INSERT INTO versions.{name} SELECT h.run_id, n.next_run_id, {selected} "
            f"FROM history.{name} AS h JOIN ({NEXT_VERSION}) AS n USING (run_id)"
        )
        op.execute(f"DROP VIEW IF EXISTS latest.{name}")
        op.execute(f"DROP TABLE history.{name}")
        op.execute(HISTORY_VIEW.format(name=name, published=PUBLISHED))
        op.execute(LATEST_VIEW.format(name=name))
    op.execute(_COUNTERFACTUAL_DAYS)
    op.execute(_LATEST_COUNTERFACTUAL_DAYS)
    for ddl in STATE:
        op.execute(ddl)
    op.execute(EVALUATIONS)
    for name, columns in EVALUATION_TABLES.items():
        op.execute(f"CREATE TABLE history.{name} ({columns})")
        op.execute(LATEST_EVALUATION.format(name=name))


_COUNTERFACTUAL_DAYS = """
    CREATE VIEW history.counterfactual_days AS
    SELECT
        run_id,
        CAST(ts AS DATE) AS day,
        count(*) AS blocked_trades,
        count(*) FILTER (WHERE outcome = 'missed_opportunity') AS missed,
        count(*) FILTER (WHERE outcome = 'avoided_loss') AS avoided,
        count(*) FILTER (WHERE outcome = 'flat') AS flat,
        count(*) FILTER (WHERE status <> 'ok') AS unresolved,
        coalesce(sum(pnl) FILTER (WHERE outcome = 'missed_opportunity'), 0) AS missed_pnl,
        coalesce(sum(pnl) FILTER (WHERE outcome = 'avoided_loss'), 0) AS avoided_pnl
    FROM history.counterfactuals
    GROUP BY run_id, day
"""
_LATEST_COUNTERFACTUAL_DAYS = """
    CREATE VIEW latest.counterfactual_days AS
    SELECT *
    FROM history.counterfactual_days
    WHERE run_id = (SELECT max(run_id) FROM main.runs WHERE published)
"""


LATEST_RUN = """
    CREATE VIEW latest.run AS
    SELECT *
    FROM main.runs
    WHERE run_id = (SELECT max(run_id) FROM main.runs WHERE published)
"""


def downgrade() -> None:
    for name in EVALUATION_TABLES:
        op.execute(f"DROP VIEW IF EXISTS latest.{name}")
        op.execute(f"DROP TABLE IF EXISTS history.{name}")
    op.execute("DROP TABLE IF EXISTS main.evaluations")
    for table in ("evidence", "learning_basis", "cell_days"):
        op.execute(f"DROP TABLE IF EXISTS state.{table}")
    op.execute("DROP VIEW IF EXISTS latest.counterfactual_days")
    op.execute("DROP VIEW IF EXISTS history.counterfactual_days")
    for name, columns in VERSIONED.items():
        op.execute(f"DROP VIEW IF EXISTS latest.{name}")
        op.execute(f"ALTER VIEW history.{name} RENAME TO {name}_expanded")
        kept = columns if name != "learned_state" else columns.replace(
            "        p_value      DOUBLE,\n", "")  # fmt: skip
        names = [line.split()[0] for line in kept.strip().splitlines() if line.strip()]
        op.execute(f"CREATE TABLE history.{name} (run_id BIGINT NOT NULL, {kept})")
        op.execute(
            f"INSERT INTO history.{name} SELECT run_id, {', '.join(names)} "
            f"FROM history.{name}_expanded"
        )
        op.execute(f"DROP VIEW history.{name}_expanded")
        op.execute(f"DROP TABLE versions.{name}")
        op.execute(
            f"CREATE VIEW latest.{name} AS SELECT * FROM history.{name} "
            "WHERE run_id = (SELECT max(run_id) FROM main.runs WHERE published)"
        )
    op.execute("DROP SCHEMA IF EXISTS versions")
    op.execute(_COUNTERFACTUAL_DAYS)
    op.execute(_LATEST_COUNTERFACTUAL_DAYS)
    op.execute("DROP VIEW IF EXISTS latest.run")
    op.execute("ALTER TABLE main.runs DROP COLUMN pruned")
    op.execute("ALTER TABLE main.runs DROP COLUMN same_as")
    op.execute(LATEST_RUN)
