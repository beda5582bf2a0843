-- The run log, newest first, with the row counts of each published version.
-- reads: runs, history.counterfactuals, history.timing_grid, history.weight_grid, history.sizing_grid, run_components
SELECT
    r.run_id,
    r.started_at,
    round(epoch(r.finished_at) - epoch(r.started_at), 3) AS seconds,
    r.status,
    r.published,
    r.trigger,
    r.engine,
    (SELECT count(*) FROM history.counterfactuals AS c WHERE c.run_id = r.run_id) AS counterfactuals,
    (SELECT count(*) FROM history.timing_grid AS t WHERE t.run_id = r.run_id) AS timing_cells,
    (SELECT count(*) FROM history.weight_grid AS w WHERE w.run_id = r.run_id) AS weight_cells,
    (SELECT count(*) FROM history.sizing_grid AS s WHERE s.run_id = r.run_id) AS sizing_cells,
    (SELECT string_agg(component || ': ' || status, ', ' ORDER BY component)
     FROM run_components AS k WHERE k.run_id = r.run_id AND k.status <> 'ok') AS not_ok,
    r.error
FROM runs AS r
ORDER BY r.run_id DESC
LIMIT $limit
