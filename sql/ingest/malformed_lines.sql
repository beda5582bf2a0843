-- The lines of a JSON Lines file that are not JSON objects, with the JSON type each has
-- instead (NULL: not JSON at all), for its reject to say what the line is.
-- reads: staged_lines
SELECT
    row_number,
    line,
    json_type(try_cast(line AS JSON)) AS json_type
FROM staged_lines
WHERE NOT is_json_object(line)
ORDER BY row_number
