-- Blocked trades of a version per UTC day of the decision: how many were missed opportunities
-- or avoided losses, and the P&L they would have made.
-- reads: history.counterfactual_days
SELECT day, missed, avoided, unresolved, missed_pnl, avoided_pnl
FROM history.counterfactual_days
WHERE run_id = $run_id
ORDER BY day
