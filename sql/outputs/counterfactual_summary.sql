-- Missed opportunities vs avoided losses of a version, all days together (the trader's summary
-- and the report's header).
-- reads: history.counterfactual_days
SELECT
    coalesce(sum(blocked_trades), 0) AS blocked_trades,
    coalesce(sum(missed), 0) AS missed,
    coalesce(sum(avoided), 0) AS avoided,
    coalesce(sum(flat), 0) AS flat,
    coalesce(sum(unresolved), 0) AS unresolved,
    coalesce(sum(missed_pnl), 0) AS missed_pnl,
    coalesce(sum(avoided_pnl), 0) AS avoided_pnl
FROM history.counterfactual_days
WHERE run_id = $run_id
