-- One row per blocked trade: its outcome at delay 0 and the default hold (SPEC §5); all of them
-- ($every), or only those this run replayed (an incremental update: the others are unchanged).
-- reads: counterfactual_outcomes, run_decisions
SELECT
    d.decision_id,
    d.symbol,
    d.ts,
    if(d.direction = 1, 'long', 'short') AS direction,
    d.reason,
    d.notional,
    o.entry_t,
    o.entry_px,
    o.exit_t,
    o.exit_px,
    o.ret,
    o.pnl,
    CASE
        WHEN o.status <> 'ok' THEN o.status
        WHEN o.pnl > 0 THEN 'missed_opportunity'
        WHEN o.pnl < 0 THEN 'avoided_loss'
        ELSE 'flat'
    END AS outcome,
    o.status
FROM counterfactual_outcomes AS o
JOIN run_decisions AS d USING (decision_key)
WHERE $every OR o.recomputed
