-- One line per counterfactual of a version, for tools that read the old
-- counterfactual_results.jsonl log. Times are ISO-8601 UTC strings.
-- reads: history.counterfactuals
SELECT
    run_id,
    decision_id,
    symbol,
    strftime(ts, '%Y-%m-%dT%H:%M:%S.%fZ') AS ts,
    direction,
    reason,
    notional,
    strftime(entry_t, '%Y-%m-%dT%H:%M:%S.%fZ') AS entry_t,
    entry_px,
    strftime(exit_t, '%Y-%m-%dT%H:%M:%S.%fZ') AS exit_t,
    exit_px,
    ret,
    pnl,
    outcome,
    status
FROM history.counterfactuals
WHERE run_id = $run_id
ORDER BY ts, decision_id
