-- Bars that arrived or were corrected since the scenario cache was last brought up to date:
-- those from price files ingested after $files_seen_at, flagged when their file corrected bars.
-- A full recompute passes 'infinity': nothing is reused, so nothing needs checking.
-- reads: raw.prices, raw.files
SELECT p.symbol, p.available_at, f.corrections > 0 AS from_correcting_file
FROM raw.prices AS p
JOIN raw.files AS f
    ON f.file_id = p.file_id
    AND f.kind = 'prices'
WHERE f.ingested_at > $files_seen_at
