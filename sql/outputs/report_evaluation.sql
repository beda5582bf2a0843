-- The walk-forward evaluation the latest.evaluation_* views show (SPEC §16), if any.
-- reads: main.evaluations, latest.evaluation_summary
SELECT
    evaluation_id,
    started_at,
    finished_at,
    config,
    first_boundary,
    end_at,
    boundaries
FROM main.evaluations
WHERE evaluation_id = (SELECT max(evaluation_id) FROM latest.evaluation_summary)
