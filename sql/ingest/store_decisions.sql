-- Store one file's classified decisions (a script, inside the file's transaction): a known
-- decision_id with other content becomes a reject (SPEC §2); new decisions are inserted with
-- the next integer decision_key, which runs and the outcome store join on.
-- reads: classified_rows, raw.decisions
UPDATE parsed_rows AS p
SET reject_field = 'decision_id',
    reject_reason = 'duplicate decision_id ' || c.decision_id || ' with different content'
FROM classified_rows AS c
WHERE c.row_number = p.row_number
    AND c.disposition = 'conflict';

INSERT INTO raw.decisions
SELECT
    decision_id, kind, ts, symbol, direction, entry_score, components, notional,
    entry_ts, entry_price, exit_ts, exit_price, qty, fees, pnl, reason, price,
    content_hash, $file_id, row_number,
    (SELECT coalesce(max(decision_key), -1) FROM raw.decisions)
        + CAST(row_number() OVER (ORDER BY row_number) AS INTEGER) AS decision_key
FROM classified_rows
WHERE disposition = 'new'
ORDER BY row_number;
