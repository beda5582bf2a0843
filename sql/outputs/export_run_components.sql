-- Per-component status of a version (ok, failed, carried, skipped), for an export.
SELECT
    run_id,
    component,
    status,
    attempts,
    seconds,
    rows,
    carried_from,
    error
FROM main.run_components
WHERE run_id = $run_id
ORDER BY component
