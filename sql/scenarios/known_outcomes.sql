-- The store's outcomes at this run's known moments, with the run's moment_id (a view over the
-- store, never a copy): what a run reuses (cache_valid), what it replaces (replaced_outcomes)
-- and what kept statistics must add up to (stored_timing_totals).
-- reads: state.scenario_outcomes, run_moments, known_moments
SELECT
    o.*,
    m.moment_id
FROM state.scenario_outcomes AS o
JOIN run_moments AS m
    ON m.entry_delay_min = o.entry_delay_min
    AND m.hold_min = o.hold_min
SEMI JOIN known_moments AS k USING (moment_id)
