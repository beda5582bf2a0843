-- Per-component status of a version (ok, failed, carried, skipped), for an export.
-- reads: main.run_components
SELECT *
FROM main.run_components
WHERE run_id = $run_id
ORDER BY component
