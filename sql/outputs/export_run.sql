-- The run row of a version, for an export (one row).
-- reads: main.runs
SELECT *
FROM main.runs
WHERE run_id = $run_id
