"""Raw inputs: ingested files, price bars, decisions (executed and blocked trades), rejects.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TABLES = [
    """
    CREATE TABLE raw.files (
        file_id      VARCHAR NOT NULL,   -- sha256 of the file's bytes
        kind         VARCHAR NOT NULL,   -- prices | trades | blocked
        path         VARCHAR NOT NULL,
        format       VARCHAR NOT NULL,   -- jsonl | csv | parquet
        options      VARCHAR,            -- JSON: bar_time, interval
        rows_read    BIGINT NOT NULL,
        accepted     BIGINT NOT NULL,
        rejected     BIGINT NOT NULL,
        duplicates   BIGINT NOT NULL,
        corrections  BIGINT NOT NULL,
        ingested_at  TIMESTAMP NOT NULL,
        PRIMARY KEY (file_id, kind)
    )
    """,
    """
    CREATE TABLE raw.prices (
        symbol        VARCHAR NOT NULL,
        ts            TIMESTAMP NOT NULL,  -- UTC, as stamped in the file
        open          DOUBLE NOT NULL,
        high          DOUBLE NOT NULL,
        low           DOUBLE NOT NULL,
        close         DOUBLE NOT NULL,
        volume        DOUBLE NOT NULL,
        interval_sec  BIGINT NOT NULL,
        available_at  TIMESTAMP NOT NULL,  -- when the close was known (SPEC §2)
        file_id       VARCHAR NOT NULL
    )
    """,
    """
    CREATE TABLE raw.decisions (
        decision_id   VARCHAR NOT NULL,
        kind          VARCHAR NOT NULL,    -- executed | blocked
        ts            TIMESTAMP NOT NULL,
        symbol        VARCHAR NOT NULL,
        direction     TINYINT NOT NULL,    -- +1 long, -1 short
        entry_score   DOUBLE NOT NULL,
        components    MAP(VARCHAR, DOUBLE) NOT NULL,
        notional      DOUBLE,              -- null = default_notional at run time
        entry_ts      TIMESTAMP,
        entry_price   DOUBLE,
        exit_ts       TIMESTAMP,
        exit_price    DOUBLE,
        qty           DOUBLE,
        fees          DOUBLE,
        pnl           DOUBLE,              -- as logged; null = computed (SPEC §2)
        reason        VARCHAR,
        price         DOUBLE,
        content_hash  VARCHAR NOT NULL,
        file_id       VARCHAR NOT NULL,
        row_number    BIGINT NOT NULL
    )
    """,
    """
    CREATE TABLE raw.rejects (
        file         VARCHAR NOT NULL,
        file_id      VARCHAR NOT NULL,
        kind         VARCHAR NOT NULL,
        row_number   BIGINT NOT NULL,     -- 1-based line (JSONL) or data row (CSV, Parquet)
        field        VARCHAR,
        reason       VARCHAR NOT NULL,
        record       VARCHAR,
        rejected_at  TIMESTAMP NOT NULL
    )
    """,
]


def upgrade() -> None:
    op.execute("CREATE SCHEMA IF NOT EXISTS raw")
    for ddl in TABLES:
        op.execute(ddl)


def downgrade() -> None:
    for table in ("rejects", "decisions", "prices", "files"):
        op.execute(f"DROP TABLE IF EXISTS raw.{table}")
    op.execute("DROP SCHEMA IF EXISTS raw")
