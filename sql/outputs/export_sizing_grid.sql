-- The sizing grid of a version (SPEC §9), for an export.
SELECT
    run_id,
    bucket,
    score_lo,
    score_hi,
    multiplier,
    n,
    n_unresolved,
    total_pnl,
    weighted_pnl,
    mean_ret,
    win_rate,
    sharpe,
    max_drawdown
FROM history.sizing_grid
WHERE run_id = $run_id
ORDER BY bucket, multiplier
