-- The service's newest daily evaluation that finished (SPEC §19), successful or failed: the
-- UTC day of the data it saw (its as-of moment), its settings, and the UTC day of the data
-- now. A failed one counts: it is tried again on the next day of data (or with other
-- settings), not at every cycle; one stopped mid-way (aborted) does not.
-- reads: main.evaluations, raw.prices
SELECT
    CAST(e.as_of AS DATE) AS evaluated_day,
    e.config,
    (SELECT CAST(max(available_at) AS DATE) FROM raw.prices) AS data_day
FROM main.evaluations AS e
WHERE e.status IN ('success', 'failed') AND e.trigger = 'serve'
ORDER BY e.evaluation_id DESC
LIMIT 1
