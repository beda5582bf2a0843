-- Decide what happens to each valid staged decision: new, duplicate (same id, same content,
-- in this file or already stored) or conflict (same id, other content: rejected, SPEC §2).
-- reads: parsed_rows, raw.decisions
WITH identified AS (
    SELECT
        * EXCLUDE (decision_id),
        coalesce(decision_id, 'h' || substr(content_hash, 1, 20)) AS decision_id
    FROM parsed_rows
    WHERE reject_reason IS NULL
),

ranked AS (
    SELECT
        *,
        row_number() OVER (PARTITION BY decision_id ORDER BY row_number) AS nth_in_file,
        first_value(content_hash) OVER (PARTITION BY decision_id ORDER BY row_number) AS first_hash
    FROM identified
)

SELECT
    r.*,
    CASE
        WHEN stored.content_hash = r.content_hash THEN 'duplicate'
        WHEN stored.content_hash IS NOT NULL THEN 'conflict'
        WHEN r.nth_in_file > 1 AND r.content_hash = r.first_hash THEN 'duplicate'
        WHEN r.nth_in_file > 1 THEN 'conflict'
        ELSE 'new'
    END AS disposition
FROM ranked AS r
LEFT JOIN raw.decisions AS stored
    ON stored.decision_id = r.decision_id
