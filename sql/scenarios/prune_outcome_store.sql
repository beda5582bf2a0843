-- Before an incremental run's outcomes are saved (inside the publishing transaction): drop
-- the stored outcomes it recomputed, no longer needs, or were computed under other settings.
-- A script of two statements.
-- reads: run_moments, run_decisions, run_replayed
DELETE FROM state.scenario_outcomes AS o
WHERE o.inputs_key <> $inputs_key
    OR NOT EXISTS (
        SELECT 1
        FROM run_moments AS m
        WHERE m.entry_delay_min = o.entry_delay_min
            AND m.hold_min = o.hold_min
    )
    OR NOT EXISTS (SELECT 1 FROM run_decisions AS d WHERE d.decision_key = o.decision_key);

DELETE FROM state.scenario_outcomes AS o
USING (
    SELECT r.decision_key, m.entry_delay_min, m.hold_min
    FROM run_replayed AS r
    JOIN run_moments AS m USING (moment_id)
) AS r
WHERE o.decision_key = r.decision_key
    AND o.entry_delay_min = r.entry_delay_min
    AND o.hold_min = r.hold_min;
