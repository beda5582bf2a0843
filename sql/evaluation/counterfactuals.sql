-- Each blocked trade's counterfactual (SPEC §5) in the full data, with when the walk-forward
-- sees it resolved.
-- reads: eval_cf_boundaries
SELECT decision_key, status, pnl, ret, exit_t, k_resolved
FROM eval_cf_boundaries
WHERE kind = 'blocked'
