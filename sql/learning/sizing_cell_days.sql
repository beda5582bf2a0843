-- Statistics of the sizing grid's books (SPEC §9) per entry_score bucket ($edges: the inner
-- edges), on the data known at $known_by (a walk-forward boundary, SPEC §16; a run passes the
-- end of time: everything): every executed trade decided by then, in the bucket its
-- entry_score falls in, realized if it exited by then and open otherwise. A book's cell is
-- built from these by scaling each bucket.
-- reads: run_decisions
WITH book AS (
    SELECT
        len(list_filter($edges, lambda e: e <= entry_score)) AS cell_id,
        if(realized_pnl IS NOT NULL AND realized_exit_t <= $known_by, 'ok', 'open') AS status,
        if(realized_exit_t <= $known_by, realized_pnl, NULL) AS pnl,
        if(realized_exit_t <= $known_by, realized_ret, NULL) AS ret,
        1.0 AS weight,
        realized_exit_t AS exit_t,
        decision_key,
        1 AS sign
    FROM run_decisions
    WHERE kind = 'executed'
        AND ts <= $known_by
)

SELECT *
FROM cell_days('book')
