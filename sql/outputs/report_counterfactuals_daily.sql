-- Blocked trades of a version per UTC day of the decision: how many were missed opportunities
-- or avoided losses, and the P&L they would have made.
SELECT
    CAST(ts AS DATE) AS day,
    count(*) FILTER (WHERE outcome = 'missed_opportunity') AS missed,
    count(*) FILTER (WHERE outcome = 'avoided_loss') AS avoided,
    count(*) FILTER (WHERE status <> 'ok') AS unresolved,
    coalesce(sum(pnl) FILTER (WHERE outcome = 'missed_opportunity'), 0) AS missed_pnl,
    coalesce(sum(pnl) FILTER (WHERE outcome = 'avoided_loss'), 0) AS avoided_pnl
FROM history.counterfactuals
WHERE run_id = $run_id
GROUP BY day
ORDER BY day
