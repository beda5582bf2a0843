-- Statistics of the timing grid (SPEC §7) per moment and decision kind: every decision's §4
-- outcome at every grid moment and at the current setting. Cell = moment_id · 2 + (blocked).
-- reads: run_outcomes, run_moments
WITH outcomes AS (
    SELECT
        o.moment_id * 2 + CAST(o.kind = 'blocked' AS INTEGER) AS cell_id,
        o.status,
        o.pnl,
        o.ret,
        o.weight,
        o.exit_t,
        o.decision_key,
        1 AS sign
    FROM run_outcomes AS o
    JOIN run_moments AS m USING (moment_id)
    WHERE m.in_timing_grid OR m.is_current_timing
)

SELECT *
FROM cell_days('outcomes')
