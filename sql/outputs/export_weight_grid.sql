-- The weight variation grid of a version (SPEC §8), for an export.
-- reads: history.weight_grid
SELECT *
FROM history.weight_grid
WHERE run_id = $run_id
ORDER BY component, variation
