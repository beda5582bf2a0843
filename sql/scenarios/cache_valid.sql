-- Stored outcomes this run reuses (a view over the store, never a copy): at a known moment, of
-- a decision not replayed this run; with the columns, in the order, of a replayed outcome
-- (sql/scenarios/outcomes.sql). The store holds only this run's settings whenever it knows a
-- moment (a change of settings is a full recompute, which empties it).
-- reads: state.scenario_outcomes, run_moments, known_moments, replay_decisions
SELECT
    o.decision_key,
    o.kind,
    m.moment_id,
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
FROM state.scenario_outcomes AS o
JOIN run_moments AS m
    ON m.entry_delay_min = o.entry_delay_min
    AND m.hold_min = o.hold_min
SEMI JOIN known_moments AS k USING (moment_id)
ANTI JOIN replay_decisions AS r
    ON r.decision_key = o.decision_key
