-- What the warehouse holds, for the trader's summary.
-- reads: raw.decisions, raw.prices
SELECT
    (SELECT count(*) FROM raw.decisions WHERE kind = 'executed') AS executed,
    (SELECT count(*) FILTER (WHERE exit_ts IS NULL) FROM raw.decisions WHERE kind = 'executed')
        AS open_trades,
    (SELECT count(*) FROM raw.decisions WHERE kind = 'blocked') AS blocked,
    (SELECT count(*) FROM raw.prices) AS bars,
    (SELECT count(DISTINCT symbol) FROM raw.prices) AS symbols,
    (SELECT min(ts) FROM raw.decisions) AS first_decision,
    (SELECT max(ts) FROM raw.decisions) AS last_decision
