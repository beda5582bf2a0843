-- Counterfactual outcomes of a version's blocked trades (SPEC §5), for an export.
-- reads: history.counterfactuals
SELECT *
FROM history.counterfactuals
WHERE run_id = $run_id
ORDER BY decision_id
