-- The store's outcomes under this run's settings ($inputs_key) at moments this run needs, that
-- are resolved for good: not pending (pending ones may resolve now) and not stale.
CREATE OR REPLACE TEMP VIEW stored_outcomes AS
SELECT
    o.decision_key AS decision_idx,
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
WHERE o.inputs_key = $inputs_key
    AND o.status <> 'pending';
