-- Every loaded decision with what scenarios need: its notional (default applied), its learning
-- weight (executed 1, blocked counterfactual_weight, SPEC §5) and its realized outcome (SPEC §2).
-- A view (a copy of every decision cost more than any reader): the settings it applies come
-- from the one-row table run_decision_settings, as a view takes no parameters.
-- reads: raw.decisions, run_decision_settings
SELECT
    decision_key,
    decision_id,
    kind,
    ts,
    symbol,
    direction,
    entry_score,
    components,
    reason,
    coalesce(notional, s.default_notional) AS notional,
    if(kind = 'executed', 1.0, s.counterfactual_weight) AS weight,
    exit_ts AS realized_exit_t,
    CASE
        WHEN kind = 'executed' AND exit_ts IS NOT NULL AND exit_price IS NOT NULL
            THEN coalesce(pnl, direction * (exit_price - entry_price) * qty - fees)
    END AS realized_pnl,
    CASE
        WHEN kind = 'executed' AND exit_ts IS NOT NULL AND exit_price IS NOT NULL
            THEN coalesce(pnl, direction * (exit_price - entry_price) * qty - fees)
                / (entry_price * qty)
    END AS realized_ret
FROM raw.decisions
CROSS JOIN run_decision_settings AS s
