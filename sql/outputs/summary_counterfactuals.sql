-- Counterfactuals of a version, for the trader's summary: count and P&L per outcome.
SELECT
    outcome,
    count(*) AS trades,
    coalesce(sum(pnl), 0) AS pnl
FROM history.counterfactuals
WHERE run_id = $run_id
GROUP BY outcome
ORDER BY outcome
