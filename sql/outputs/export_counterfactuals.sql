-- Counterfactual outcomes of a version's blocked trades (SPEC §5), for an export.
SELECT
    run_id,
    decision_id,
    symbol,
    ts,
    direction,
    reason,
    notional,
    entry_t,
    entry_px,
    exit_t,
    exit_px,
    ret,
    pnl,
    outcome,
    status
FROM history.counterfactuals
WHERE run_id = $run_id
ORDER BY decision_id
