-- What a run saw of its inputs, recorded with the run.
-- reads: raw.decisions, raw.prices, raw.files
SELECT
    (SELECT count(*) FROM raw.decisions) AS decisions,
    (SELECT count(*) FROM raw.prices) AS prices,
    (SELECT count(*) FROM raw.files) AS files,
    (SELECT max(ts) FROM raw.decisions) AS last_decision_ts,
    (SELECT max(available_at) FROM raw.prices) AS last_price_available_at
