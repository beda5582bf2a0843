"""An integer key per decision, assigned once at ingest.

Runs index decisions by `raw.decisions.decision_key` and the outcome store keeps it, so an
incremental run matches 17 million stored outcomes to their decisions on an integer, not the
text `decision_id`. Decisions are immutable once loaded (a different record under a known id is
rejected), so a key never changes. Existing rows are numbered in `decision_id` order and the
stored outcomes take their decision's key. (The column stays nullable: DuckDB cannot add NOT NULL
in the transaction that fills it; ingest always sets it.)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE raw.decisions ADD COLUMN decision_key INTEGER")
    op.execute(
        """
        UPDATE raw.decisions AS d
        SET decision_key = k.decision_key
        FROM (
            SELECT
                decision_id,
                CAST(row_number() OVER (ORDER BY decision_id) - 1 AS INTEGER) AS decision_key
            FROM raw.decisions
        ) AS k
        WHERE k.decision_id = d.decision_id
        """
    )
    op.execute("ALTER TABLE state.scenario_outcomes ADD COLUMN decision_key INTEGER")
    op.execute(
        """
        UPDATE state.scenario_outcomes AS o
        SET decision_key = d.decision_key
        FROM raw.decisions AS d
        WHERE d.decision_id = o.decision_id
        """
    )
    op.execute("DELETE FROM state.scenario_outcomes WHERE decision_key IS NULL")


def downgrade() -> None:
    op.execute("ALTER TABLE state.scenario_outcomes DROP COLUMN decision_key")
    op.execute("ALTER TABLE raw.decisions DROP COLUMN decision_key")
