-- The timing grid of a version (SPEC §7), for an export.
-- reads: history.timing_grid
SELECT *
FROM history.timing_grid
WHERE run_id = $run_id
ORDER BY entry_delay_min, hold_min, population
