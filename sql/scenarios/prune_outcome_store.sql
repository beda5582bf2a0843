-- Before an incremental run's outcomes are saved (inside the publishing transaction): drop
-- the stored outcomes it recomputed, no longer needs, or were computed under other settings.
DELETE FROM state.scenario_outcomes AS o
WHERE o.inputs_key <> $inputs_key
    OR NOT EXISTS (
        SELECT 1
        FROM run_moments AS m
        WHERE m.entry_delay_min = o.entry_delay_min
            AND m.hold_min = o.hold_min
    )
    OR NOT EXISTS (SELECT 1 FROM run_decisions AS d WHERE d.decision_id = o.decision_id);

DELETE FROM state.scenario_outcomes AS o
USING (
    SELECT d.decision_id, m.entry_delay_min, m.hold_min
    FROM run_outcomes AS r
    JOIN run_decisions AS d USING (decision_idx)
    JOIN run_moments AS m USING (moment_id)
    WHERE r.recomputed
) AS r
WHERE o.decision_id = r.decision_id
    AND o.entry_delay_min = r.entry_delay_min
    AND o.hold_min = r.hold_min;
