-- What a run saw of its inputs, recorded with the run. `data_files` and `last_data_file_at`
-- count only files that added or corrected rows: a run whose inputs and settings match the
-- latest version's is `unchanged` (SPEC §14).
-- reads: raw.decisions, raw.prices, raw.files
SELECT
    (SELECT count(*) FROM raw.decisions) AS decisions,
    (SELECT count(*) FROM raw.prices) AS prices,
    (SELECT count(*) FROM raw.files) AS files,
    (SELECT count(*) FROM raw.files WHERE accepted > 0) AS data_files,
    (SELECT max(ingested_at) FROM raw.files WHERE accepted > 0) AS last_data_file_at,
    (SELECT max(ts) FROM raw.decisions) AS last_decision_ts,
    (SELECT max(available_at) FROM raw.prices) AS last_price_available_at
