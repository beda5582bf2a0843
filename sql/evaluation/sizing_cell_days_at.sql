-- The sizing grid's per-bucket statistics on the data known at $t (SPEC §9, §16): executed trades
-- decided by then, in the bucket of $edges their entry_score falls in, realized if they exited
-- by then and open otherwise.
-- reads: run_decisions
WITH book AS (
    SELECT
        len(list_filter($edges, lambda e: e <= entry_score)) AS cell_id,
        if(realized_pnl IS NOT NULL AND realized_exit_t <= $t, 'ok', 'open') AS status,
        if(realized_exit_t <= $t, realized_pnl, NULL) AS pnl,
        if(realized_exit_t <= $t, realized_ret, NULL) AS ret,
        1.0 AS weight,
        realized_exit_t AS exit_t,
        decision_key,
        1 AS sign
    FROM run_decisions
    WHERE kind = 'executed'
        AND ts <= $t
)

SELECT *
FROM cell_days('book')
