-- The stored outcomes this run replays again (their values before this run): the statistics
-- kept between runs drop them as the replayed outcomes replace them. Empty on a full recompute
-- (no stored outcome matches run_inputs_key '').
-- reads: state.scenario_outcomes, run_moments, run_replayed, run_inputs_key
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
SEMI JOIN run_replayed AS r
    ON r.decision_key = o.decision_key
    AND r.moment_id = m.moment_id
WHERE o.inputs_key = (SELECT inputs_key FROM run_inputs_key)
