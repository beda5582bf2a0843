-- Stored outcomes this run can reuse (a view over the store): same settings, a moment this
-- run needs, and a decision not replayed this run; with the columns, in the order, of a
-- replayed outcome (sql/scenarios/outcomes.sql). Loaded decisions are never removed, so every
-- stored decision is still loaded.
-- reads: stored_outcomes, replay_decisions
SELECT
    o.decision_key,
    o.kind,
    o.moment_id,
    o.entry_delay_min,
    o.hold_min,
    o.weight,
    o.entry_t,
    o.entry_px,
    o.exit_t,
    o.exit_px,
    o.status,
    o.ret,
    o.pnl,
    o.entry_bar_at,
    o.exit_bar_at
FROM stored_outcomes AS o
ANTI JOIN replay_decisions AS r
    USING (decision_key)
