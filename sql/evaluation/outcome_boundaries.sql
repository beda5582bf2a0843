-- The full data's outcomes (eval_event_outcomes) at some moments (eval_event_moments) with when
-- the walk-forward first sees each (k_known: its decision's) and first sees it resolved
-- (k_resolved: the first boundary whose bars reach its exit lookup; null while the full data
-- leaves it pending).
-- reads: eval_event_outcomes, eval_event_moments, eval_decisions, eval_horizons
SELECT
    o.* EXCLUDE (entry_t),
    d.k_known,
    h.k AS k_resolved
FROM eval_event_outcomes AS o
SEMI JOIN eval_event_moments AS m USING (moment_id)
JOIN eval_decisions AS d USING (decision_key)
ASOF LEFT JOIN eval_horizons AS h
    ON h.symbol_id = d.symbol_id
    AND h.horizon >= greatest(o.entry_t, o.exit_t)
