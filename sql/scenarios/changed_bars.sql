-- Bars that arrived or were corrected since the scenario cache was last brought up to date:
-- those from price files ingested after $files_seen_at.
SELECT p.symbol, p.available_at
FROM raw.prices AS p
JOIN raw.files AS f
    ON f.file_id = p.file_id
    AND f.kind = 'prices'
WHERE f.ingested_at > $files_seen_at
