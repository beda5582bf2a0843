-- Timing grid cells of a version, population `all` (what the timing recommendation ranks),
-- with the pnl_over_drawdown objective spelled out (SPEC §6).
-- reads: history.timing_grid
SELECT
    entry_delay_min,
    hold_min,
    n,
    n_unresolved,
    total_pnl,
    weighted_pnl,
    mean_ret,
    win_rate,
    sharpe,
    max_drawdown,
    weighted_pnl / greatest(max_drawdown, 1e-9) AS pnl_over_drawdown
FROM history.timing_grid
WHERE run_id = $run_id
  AND population = 'all'
ORDER BY entry_delay_min, hold_min
