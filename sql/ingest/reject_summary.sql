-- How many rows of one file were rejected, and the first reason (for the one-line report).
-- reads: parsed_rows
SELECT
    count(*) AS rejected,
    arg_min(
        'row ' || row_number || ': field ' || reject_field || ': ' || reject_reason, row_number
    ) AS first_reject
FROM parsed_rows
WHERE reject_reason IS NOT NULL
