-- The timing grid's statistics as events (SPEC §16): an outcome enters, pending, at the boundary
-- its decision is first known, and turns into its final status at the first boundary whose bars
-- reach its exit (at once, when that is no later). Summed up to boundary k, they are the grid's
-- statistics on the data as it was known at t_k. Cell = k · 1e6 + moment_id · 2 + (blocked).
-- reads: eval_timing_outcomes
WITH seen AS (
    SELECT *
    FROM eval_timing_outcomes
    WHERE k_known IS NOT NULL
),

events AS (
    SELECT k_known AS k, moment_id, kind, decision_key, weight, exit_t,
        if(k_resolved <= k_known, status, 'pending') AS status,
        if(k_resolved <= k_known, pnl, NULL) AS pnl,
        if(k_resolved <= k_known, ret, NULL) AS ret,
        1 AS sign
    FROM seen
    UNION ALL
    SELECT k_resolved AS k, moment_id, kind, decision_key, weight, exit_t, 'pending' AS status,
        NULL AS pnl, NULL AS ret, -1 AS sign
    FROM seen
    WHERE k_resolved > k_known
    UNION ALL
    SELECT k_resolved AS k, moment_id, kind, decision_key, weight, exit_t, status, pnl, ret,
        1 AS sign
    FROM seen
    WHERE k_resolved > k_known
),

outcomes AS (
    SELECT
        CAST(k AS BIGINT) * 1000000 + moment_id * 2 + CAST(kind = 'blocked' AS INTEGER)
            AS cell_id,
        status, pnl, ret, weight, exit_t, decision_key, sign
    FROM events
)

SELECT *
FROM cell_days('outcomes')
