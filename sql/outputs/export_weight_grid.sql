-- The weight variation grid of a version (SPEC §8), for an export.
SELECT
    run_id,
    component,
    variation,
    weight,
    n,
    n_unresolved,
    total_pnl,
    weighted_pnl,
    mean_ret,
    win_rate,
    sharpe,
    max_drawdown
FROM history.weight_grid
WHERE run_id = $run_id
ORDER BY component, variation
