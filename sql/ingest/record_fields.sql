-- For each of $fields, whether some record of a JSON Lines file has a value for it (a line
-- that is not a JSON object is no record): a field no record has refuses the whole file. No
-- rows for a file without records. One JSON parse per line for all the fields.
-- reads: staged_lines
SELECT
    field,
    bool_or(NOT is_blank(value_text)) AS in_some_record
FROM (
    SELECT
        unnest($fields) AS field,
        unnest(json_extract_string(line, list_transform($fields, lambda f: '$.' || f))) AS value_text
    FROM staged_lines
    WHERE is_json_object(line)
)
GROUP BY field
