-- The decisions the weight grid considers (SPEC §8), as the walk-forward knows them (SPEC §16):
-- components as a vector in the order of $components, the boundary each is first known at,
-- the boundary its outcome resolves at, and that outcome (an executed trade's realized one, a
-- blocked trade's counterfactual). It does not depend on the weights: built once per
-- evaluation and read by every weight event stream (sql/evaluation/weight_events.sql).
-- reads: run_decisions, eval_decisions, eval_counterfactuals
SELECT
    d.decision_key,
    d.weight,
    list_transform($components, lambda c: coalesce(d.components[c], 0.0)) AS x,
    k.k_known,
    if(d.kind = 'executed', k.k_exit, cf.k_resolved) AS k_resolved,
    if(d.kind = 'executed', if(d.realized_pnl IS NULL, 'open', 'ok'), cf.status) AS status,
    if(d.kind = 'executed', 'open', 'pending') AS unknown_status,
    if(d.kind = 'executed', d.realized_pnl, cf.pnl) AS pnl,
    if(d.kind = 'executed', d.realized_ret, cf.ret) AS ret,
    if(d.kind = 'executed', d.realized_exit_t, cf.exit_t) AS exit_t
FROM run_decisions AS d
JOIN eval_decisions AS k USING (decision_key)
LEFT JOIN eval_counterfactuals AS cf USING (decision_key)
WHERE (d.kind = 'executed' OR list_contains($score_block_reasons, d.reason))
    AND k.k_known IS NOT NULL
