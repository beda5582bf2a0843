-- The store's outcomes under this run's settings (run_inputs_key) at moments this run needs,
-- that are resolved for good: not pending (pending ones may resolve now) and not stale.
-- A view: the store is read where it lies, never copied.
-- reads: state.scenario_outcomes, run_moments, stale_outcomes, run_inputs_key
SELECT
    m.moment_id,
    o.*
FROM state.scenario_outcomes AS o
JOIN run_moments AS m
    ON m.entry_delay_min = o.entry_delay_min
    AND m.hold_min = o.hold_min
ANTI JOIN stale_outcomes AS t
    ON t.decision_key = o.decision_key
    AND t.entry_delay_min = o.entry_delay_min
    AND t.hold_min = o.hold_min
WHERE o.inputs_key = (SELECT inputs_key FROM run_inputs_key)
    AND o.status <> 'pending'
