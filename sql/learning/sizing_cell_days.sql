-- Statistics of the sizing grid's books (SPEC §9) per entry_score bucket: every executed trade
-- with its realized outcome (open ones unresolved), in the bucket its entry_score falls in
-- ($edges: the inner edges). A book's cell is built from these by scaling each bucket.
-- reads: run_decisions
WITH book AS (
    SELECT
        len(list_filter($edges, lambda e: e <= entry_score)) AS cell_id,
        if(realized_pnl IS NULL, 'open', 'ok') AS status,
        realized_pnl AS pnl,
        realized_ret AS ret,
        1.0 AS weight,
        realized_exit_t AS exit_t,
        decision_key,
        1 AS sign
    FROM run_decisions
    WHERE kind = 'executed'
)

SELECT *
FROM cell_days('book')
