-- The service's newest successful daily evaluation (SPEC §19): the UTC day of the data it saw
-- (its as-of moment), its settings, and the UTC day of the data now.
-- reads: main.evaluations, raw.prices
SELECT
    CAST(e.as_of AS DATE) AS evaluated_day,
    e.config,
    (SELECT CAST(max(available_at) AS DATE) FROM raw.prices) AS data_day
FROM main.evaluations AS e
WHERE e.status = 'success' AND e.trigger = 'serve'
ORDER BY e.evaluation_id DESC
LIMIT 1
