-- The rows of one file that break SPEC §2, with the record as written, into raw.rejects.
-- reads: parsed_rows, staged
INSERT INTO raw.rejects
SELECT
    $file, $file_id, $kind, p.row_number, p.reject_field, p.reject_reason, s.record,
    current_localtimestamp()
FROM parsed_rows AS p
JOIN staged AS s USING (row_number)
WHERE p.reject_reason IS NOT NULL
ORDER BY p.row_number
