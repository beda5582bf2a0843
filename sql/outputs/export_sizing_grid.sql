-- The sizing grid of a version (SPEC §9), for an export.
-- reads: history.sizing_grid
SELECT *
FROM history.sizing_grid
WHERE run_id = $run_id
ORDER BY bucket, multiplier
