-- The stored outcomes this run replays again (their values before this run): the statistics
-- kept between runs drop them as the replayed outcomes replace them. A replayed decision is
-- replayed at every moment; moments the store did not know hold none. Empty on a full
-- recompute (nothing is known, nothing replaced).
-- reads: state.scenario_outcomes, run_moments, known_moments, replay_decisions
SELECT
    o.decision_key,
    m.moment_id,
    o.kind,
    o.weight,
    o.status,
    o.pnl,
    o.ret,
    o.exit_t
FROM state.scenario_outcomes AS o
JOIN run_moments AS m
    ON m.entry_delay_min = o.entry_delay_min
    AND m.hold_min = o.hold_min
SEMI JOIN known_moments AS k USING (moment_id)
SEMI JOIN replay_decisions AS r
    ON r.decision_key = o.decision_key
