-- The distinct moments (entry delay, hold) a run replays decisions at, and what each is for:
-- a timing grid cell, the counterfactual (SPEC §5), the current timing setting.
-- reads: run_cells
SELECT
    CAST(row_number() OVER (ORDER BY entry_delay_min, hold_min) AS INTEGER) AS moment_id,
    entry_delay_min,
    hold_min,
    bool_or(role = 'grid') AS in_timing_grid,
    bool_or(role = 'counterfactual') AS is_counterfactual,
    bool_or(role = 'current') AS is_current_timing
FROM run_cells
GROUP BY entry_delay_min, hold_min
