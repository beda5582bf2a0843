-- Bring state.scenario_outcomes to this run's outcomes (inside the publishing transaction,
-- once the outcomes this run replaces are gone): add what this run recomputed, in one insert;
-- record the cells and what the store has seen. A script.
-- reads: run_replayed, run_moments, run_files_seen
INSERT INTO state.scenario_outcomes BY NAME
SELECT
    r.kind,
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
    $inputs_key AS inputs_key,
    $run_id AS computed_run,
    r.decision_key
FROM run_replayed AS r
JOIN run_moments AS m USING (moment_id);

DELETE FROM state.scenario_cells;

INSERT INTO state.scenario_cells
SELECT entry_delay_min, hold_min, in_timing_grid, is_counterfactual, is_current_timing
FROM run_moments;

DELETE FROM state.scenario_watermark;

INSERT INTO state.scenario_watermark
SELECT $run_id, $inputs_key, files_seen_at
FROM run_files_seen;
