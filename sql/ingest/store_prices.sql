-- Store one file's classified bars (a script, inside the file's transaction): rows whose
-- interval cannot be inferred become rejects, corrections replace the stored bar (SPEC §2),
-- new and corrected bars are inserted in the order the replay sorts them.
-- reads: classified_rows
UPDATE parsed_rows AS p
SET reject_field = 'ts',
    reject_reason = 'cannot infer the bar interval of ' || p.symbol
        || ' from a single bar: pass --interval'
FROM classified_rows AS c
WHERE c.row_number = p.row_number
    AND c.disposition = 'unknown_interval';

DELETE FROM raw.prices AS p
USING classified_rows AS c
WHERE c.disposition = 'correction'
    AND p.symbol = c.symbol
    AND p.ts = c.ts;

INSERT INTO raw.prices
SELECT symbol, ts, open, high, low, close, volume, interval_sec, available_at, $file_id
FROM classified_rows
WHERE disposition IN ('new', 'correction')
ORDER BY symbol, available_at;
