-- Weight variation cells of a version, with each component's chosen variation (SPEC §8).
-- reads: history.weight_grid, history.learned_state
SELECT
    g.component,
    g.variation,
    g.weight,
    g.n,
    g.weighted_pnl,
    g.sharpe,
    g.weighted_pnl / greatest(g.max_drawdown, 1e-9) AS pnl_over_drawdown,
    s.best AS best_variation,
    s.applied
FROM history.weight_grid AS g
LEFT JOIN history.learned_state AS s
    ON s.run_id = g.run_id
   AND s.kind = 'weight'
   AND s.name = g.component
WHERE g.run_id = $run_id
ORDER BY g.component, g.variation
