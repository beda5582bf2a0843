-- Stored outcomes this run reuses (a view over the store, never a copy): at a known moment, of
-- a decision not replayed this run; with the columns, in the order, of a replayed outcome
-- (sql/scenarios/outcomes.sql). The store holds only this run's settings whenever it knows a
-- moment (a change of settings is a full recompute, which empties it).
-- reads: known_outcomes, replay_decisions
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
FROM known_outcomes AS o
ANTI JOIN replay_decisions AS r
    ON r.decision_key = o.decision_key
