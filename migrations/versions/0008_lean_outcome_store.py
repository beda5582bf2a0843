"""The outcome store keeps only what replays and statistics need.

`state.scenario_outcomes` loses `decision_id` and `symbol`: both are the decision's, reached by
`decision_key` (raw.decisions), and writing them with every one of the store's rows (17 per
decision) made saving it the costliest step of a full recompute after the replay itself.
Stored outcomes keep their values; `latest.timing_outcomes` reads decision_id from the decision
(the view is the same in both directions, so a downgrade keeps it).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


LATEST_TIMING_OUTCOMES = """
    CREATE OR REPLACE VIEW latest.timing_outcomes AS
    SELECT
        o.computed_run AS run_id,
        d.decision_id,
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
    JOIN raw.decisions AS d USING (decision_key)
    JOIN state.scenario_cells AS c
        ON c.entry_delay_min = o.entry_delay_min
        AND c.hold_min = o.hold_min
    WHERE c.in_timing_grid
"""


def upgrade() -> None:
    op.execute("DROP VIEW latest.timing_outcomes")
    op.execute("ALTER TABLE state.scenario_outcomes DROP COLUMN decision_id")
    op.execute("ALTER TABLE state.scenario_outcomes DROP COLUMN symbol")
    op.execute(LATEST_TIMING_OUTCOMES)


def downgrade() -> None:
    op.execute("ALTER TABLE state.scenario_outcomes ADD COLUMN decision_id VARCHAR")
    op.execute("ALTER TABLE state.scenario_outcomes ADD COLUMN symbol VARCHAR")
    op.execute(
        """
        UPDATE state.scenario_outcomes AS o
        SET decision_id = d.decision_id, symbol = d.symbol
        FROM raw.decisions AS d
        WHERE d.decision_key = o.decision_key
        """
    )
