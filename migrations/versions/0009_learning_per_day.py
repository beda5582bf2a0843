"""Learning per day of data, and whether a walk-forward's gain is real.

- `state.evidence.as_of`: the as-of moment of the run that last evaluated a kind (SPEC §18: a
  step is scaled to the data time since; null for evaluations recorded before this revision,
  which count as a full learning_period ago);
- `history.evaluation_summary`: `gain_p_value`, `gain_lo`, `gain_hi`, `verdict` (SPEC §16, "Is
  the gain real?"), null on rows of earlier evaluations;
- `history.evaluation_steps.policy`: the policy whose states the rows are (`learned`, the
  configured one, or a policy named by `tradelens evaluate --policies`); earlier rows `learned`;
- `main.evaluations.trigger`: `cli` or `serve` (the service's daily evaluation, SPEC §19), and
  `as_of`: the greatest bar available_at when it ran (what "a new UTC day of data" is measured
  from).
The latest.* views over the evaluation tables bind `*` when made, so they are made again.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

SUMMARY_COLUMNS = {
    "gain_p_value": "DOUBLE",
    "gain_lo": "DOUBLE",
    "gain_hi": "DOUBLE",
    "verdict": "VARCHAR",
}


class _Remade:
    """The latest.* view over a history table, dropped while the table changes and made again
    from its own stored definition (a view binds `*` when it is made)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> None:
        self.sql = (
            op.get_bind()
            .exec_driver_sql(
                "SELECT sql FROM duckdb_views() WHERE schema_name = 'latest' AND view_name = ?",
                (self.name,),
            )
            .scalar_one()
        )
        op.execute(f"DROP VIEW latest.{self.name}")

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            op.execute(self.sql)


def upgrade() -> None:
    op.execute("ALTER TABLE state.evidence ADD COLUMN as_of TIMESTAMP")
    op.execute("ALTER TABLE main.evaluations ADD COLUMN trigger VARCHAR DEFAULT 'cli'")
    op.execute("UPDATE main.evaluations SET trigger = 'cli'")
    op.execute("ALTER TABLE main.evaluations ADD COLUMN as_of TIMESTAMP")
    with _Remade("evaluation_summary"):
        for column, kind in SUMMARY_COLUMNS.items():
            op.execute(f"ALTER TABLE history.evaluation_summary ADD COLUMN {column} {kind}")
    with _Remade("evaluation_steps"):
        op.execute(
            "ALTER TABLE history.evaluation_steps ADD COLUMN policy VARCHAR DEFAULT 'learned'"
        )
        op.execute("UPDATE history.evaluation_steps SET policy = 'learned'")


def downgrade() -> None:
    with _Remade("evaluation_steps"):
        op.execute("DELETE FROM history.evaluation_steps WHERE policy <> 'learned'")
        op.execute("ALTER TABLE history.evaluation_steps DROP COLUMN policy")
    with _Remade("evaluation_summary"):
        for column in SUMMARY_COLUMNS:
            op.execute(f"ALTER TABLE history.evaluation_summary DROP COLUMN {column}")
    op.execute("ALTER TABLE main.evaluations DROP COLUMN as_of")
    op.execute("ALTER TABLE main.evaluations DROP COLUMN trigger")
    op.execute("ALTER TABLE state.evidence DROP COLUMN as_of")
