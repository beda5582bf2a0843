"""Missed opportunities vs avoided losses per version and decision day, as one view.

The trader's summary, the report's daily charts and the old tools' comprehensive_learning.jsonl
all read `history.counterfactual_days` (and `latest.counterfactual_days`) instead of each
counting outcomes their own way.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

COUNTERFACTUAL_DAYS = """
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
LATEST_COUNTERFACTUAL_DAYS = """
    CREATE VIEW latest.counterfactual_days AS
    SELECT *
    FROM history.counterfactual_days
    WHERE run_id = (SELECT max(run_id) FROM main.runs WHERE published)
"""


def upgrade() -> None:
    op.execute(COUNTERFACTUAL_DAYS)
    op.execute(LATEST_COUNTERFACTUAL_DAYS)


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS latest.counterfactual_days")
    op.execute("DROP VIEW IF EXISTS history.counterfactual_days")
