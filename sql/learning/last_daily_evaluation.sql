-- The service's newest successful daily evaluation (SPEC §19): its last boundary, its settings,
-- and the UTC day of the data now (the greatest bar available_at).
-- reads: main.evaluations, history.evaluation_periods, raw.prices
WITH last AS (
    SELECT evaluation_id, config
    FROM main.evaluations
    WHERE status = 'success' AND trigger = 'serve'
    ORDER BY evaluation_id DESC
    LIMIT 1
)

SELECT
    (SELECT max(p.boundary) FROM history.evaluation_periods AS p
     WHERE p.evaluation_id = last.evaluation_id) AS last_boundary,
    last.config,
    (SELECT CAST(max(available_at) AS DATE) FROM raw.prices) AS data_day
FROM last
