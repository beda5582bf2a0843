-- Bring state.scenario_outcomes to this run's outcomes (inside the publishing transaction):
-- drop what was recomputed, is no longer needed, or was computed under other settings; add
-- what this run recomputed; record the cells and what the store has seen.
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

INSERT INTO state.scenario_outcomes
SELECT
    d.decision_id,
    r.kind,
    d.symbol,
    m.entry_delay_min,
    m.hold_min,
    r.entry_t,
    r.exit_t,
    r.entry_bar_at,
    r.exit_bar_at,
    r.entry_px,
    r.exit_px,
    r.status,
    r.ret,
    r.pnl,
    r.weight,
    $inputs_key,
    $run_id
FROM run_outcomes AS r
JOIN run_decisions AS d USING (decision_idx)
JOIN run_moments AS m USING (moment_id)
WHERE r.recomputed;

DELETE FROM state.scenario_cells;

INSERT INTO state.scenario_cells
SELECT entry_delay_min, hold_min, in_timing_grid, is_counterfactual, is_current_timing
FROM run_moments;

DELETE FROM state.scenario_watermark;

INSERT INTO state.scenario_watermark
SELECT $run_id, $inputs_key, files_seen_at
FROM run_files_seen;
