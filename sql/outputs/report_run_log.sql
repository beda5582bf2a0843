-- The newest runs (published or not) with their components' health, for the report.
-- reads: main.runs, main.run_components
SELECT
    r.run_id,
    r.started_at,
    round(epoch(r.finished_at) - epoch(r.started_at), 2) AS seconds,
    r.status,
    r.published,
    r.trigger,
    r.engine,
    r.error,
    (
        SELECT list(
            {
                'component': c.component,
                'status': c.status,
                'attempts': c.attempts,
                'carried_from': c.carried_from,
                'error': c.error
            }
            ORDER BY c.component
        )
        FROM main.run_components AS c
        WHERE c.run_id = r.run_id
    ) AS components
FROM main.runs AS r
ORDER BY r.run_id DESC
LIMIT $limit
