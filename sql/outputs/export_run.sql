-- The run row of a version, for an export (one row).
SELECT
    run_id,
    started_at,
    finished_at,
    status,
    published,
    engine,
    trigger,
    config,
    watermark,
    error
FROM main.runs
WHERE run_id = $run_id
