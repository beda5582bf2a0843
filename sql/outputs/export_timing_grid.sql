-- The timing grid of a version (SPEC §7), for an export.
SELECT
    run_id,
    entry_delay_min,
    hold_min,
    population,
    n,
    n_unresolved,
    total_pnl,
    weighted_pnl,
    mean_ret,
    win_rate,
    sharpe,
    max_drawdown
FROM history.timing_grid
WHERE run_id = $run_id
ORDER BY entry_delay_min, hold_min, population
