-- The timing grid's outcomes: every decision at every grid cell and at the current setting
-- (cell 0), taken from this run's outcomes.
-- reads: run_outcomes, run_moments, run_cells
SELECT
    c.cell_id,
    o.decision_key,
    o.kind,
    o.weight,
    o.status,
    o.pnl,
    o.ret,
    o.exit_t
FROM run_outcomes AS o
JOIN run_moments AS m USING (moment_id)
JOIN run_cells AS c
    ON c.entry_delay_min = m.entry_delay_min
    AND c.hold_min = m.hold_min
WHERE c.role IN ('grid', 'current')
