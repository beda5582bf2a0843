-- What this run changed in the timing grid's statistics: the outcomes it replayed (+1) less the
-- stored values they replace (-1), per moment and kind as in timing_cell_days.sql.
-- reads: run_replayed, replaced_outcomes, run_moments
WITH changed AS (
    SELECT moment_id, kind, status, pnl, ret, weight, exit_t, decision_key, 1 AS sign
    FROM run_replayed
    UNION ALL
    SELECT moment_id, kind, status, pnl, ret, weight, exit_t, decision_key, -1 AS sign
    FROM replaced_outcomes
),

outcomes AS (
    SELECT
        c.moment_id * 2 + CAST(c.kind = 'blocked' AS INTEGER) AS cell_id,
        c.status,
        c.pnl,
        c.ret,
        c.weight,
        c.exit_t,
        c.decision_key,
        c.sign
    FROM changed AS c
    JOIN run_moments AS m USING (moment_id)
    WHERE m.in_timing_grid OR m.is_current_timing
)

SELECT *
FROM cell_days('outcomes')
