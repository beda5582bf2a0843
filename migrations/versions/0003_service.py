"""The service's inbox ledger: every file `tradelens serve` found in an inbox folder, by content.

A file is known by the sha256 of its bytes (as in raw.files), so a copy under another name is not
picked up twice and a file rewritten in place is picked up again. A file that could not be
ingested is `quarantined` with its reason and not retried until its content changes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE raw.inbox_files (
            file_id   VARCHAR NOT NULL,  -- sha256 of the bytes; 'unreadable:<hash of stat>' if none
            kind      VARCHAR NOT NULL,  -- prices | trades | blocked
            path      VARCHAR NOT NULL,  -- where the service found it first
            status    VARCHAR NOT NULL,  -- ingested | quarantined
            reason    VARCHAR,           -- why quarantined, or a note (rows rejected, seen before)
            accepted  BIGINT,            -- rows loaded (ingested files)
            rejected  BIGINT,            -- rows sent to raw.rejects (ingested files)
            run_id    BIGINT,            -- the service cycle (run) that picked it up
            seen_at   TIMESTAMP NOT NULL,
            PRIMARY KEY (file_id, kind)
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS raw.inbox_files")
