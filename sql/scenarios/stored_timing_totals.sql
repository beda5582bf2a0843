-- What stored timing statistics must add up to: the outcomes the store holds at this run's
-- known timing moments, counted, and their P&L summed exactly as cell_days sums it.
-- reads: known_outcomes, run_moments
SELECT
    count(*) AS n,
    sum(CAST(o.pnl AS DECIMAL(38, 15))) AS sum_pnl
FROM known_outcomes AS o
JOIN run_moments AS m USING (moment_id)
WHERE m.in_timing_grid OR m.is_current_timing
