-- The newest ingest the outcome store will have seen once this run is saved.
-- reads: raw.files
SELECT max(ingested_at) AS files_seen_at
FROM raw.files
