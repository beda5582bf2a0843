-- Rows of one file per disposition (new, duplicate, correction, conflict, ...).
-- reads: classified_rows
SELECT disposition, count(*) AS n
FROM classified_rows
GROUP BY disposition
