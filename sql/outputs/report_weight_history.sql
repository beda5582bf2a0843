-- Each component's learned weight (after the run) in every published version up to this one.
-- reads: history.learned_state, main.runs
SELECT
    s.run_id,
    s.name AS component,
    s.after AS weight,
    s.applied
FROM history.learned_state AS s
JOIN main.runs AS r USING (run_id)
WHERE s.kind = 'weight'
  AND r.published
  AND s.run_id <= $run_id
ORDER BY s.name, s.run_id
