-- Decisions replayed at every moment: those without a valid stored outcome at each moment the
-- store knows (new, pending, stale or touched by a changed bar).
-- reads: run_decisions, stored_outcomes, known_moments
SELECT d.decision_key
FROM run_decisions AS d
LEFT JOIN (
    SELECT decision_key, count(*) AS n
    FROM stored_outcomes
    GROUP BY decision_key
) AS v USING (decision_key)
WHERE coalesce(v.n, 0) < (SELECT count(*) FROM known_moments)
