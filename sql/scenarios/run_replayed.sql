-- The outcomes this run replayed (a view over its replay tables, never over the store: the
-- store is rewritten from it in the publishing transaction, see save_outcome_store.sql).
CREATE OR REPLACE TEMP VIEW run_replayed AS
SELECT
    decision_idx,
    cell_id AS moment_id,
    kind,
    weight,
    entry_t,
    entry_px,
    exit_t,
    exit_px,
    status,
    ret,
    pnl,
    entry_bar_at,
    exit_bar_at
FROM (
    SELECT * FROM replayed_changed
    UNION ALL
    SELECT * FROM replayed_new
);
