-- Before an incremental run's outcomes are saved (inside the publishing transaction): drop
-- the stored outcomes at moments it no longer needs (a new current timing) and those of the
-- decisions it replayed. Under other settings nothing is reused: the store is emptied instead.
-- A script of two statements.
-- reads: state.scenario_cells, run_moments, replay_decisions
DELETE FROM state.scenario_outcomes AS o
USING (
    SELECT c.entry_delay_min, c.hold_min
    FROM state.scenario_cells AS c
    ANTI JOIN run_moments AS m
        ON m.entry_delay_min = c.entry_delay_min
        AND m.hold_min = c.hold_min
) AS dropped
WHERE o.entry_delay_min = dropped.entry_delay_min
    AND o.hold_min = dropped.hold_min;

DELETE FROM state.scenario_outcomes AS o
USING replay_decisions AS r
WHERE o.decision_key = r.decision_key;
