-- Weight variation cells of a version, each marked when it is the component's picked cell
-- (learned_state.best is that cell's weight W·(1 + v), SPEC §8; null when nothing was picked).
-- reads: history.weight_grid, history.learned_state
SELECT
    g.component,
    g.variation,
    g.weight,
    g.n,
    g.weighted_pnl,
    g.sharpe,
    g.weighted_pnl / greatest(g.max_drawdown, 1e-9) AS pnl_over_drawdown,
    coalesce(abs(g.weight - s.best) <= 1e-9 * greatest(abs(s.best), 1), false) AS chosen,
    s.applied
FROM history.weight_grid AS g
LEFT JOIN history.learned_state AS s
    ON s.run_id = g.run_id
   AND s.kind = 'weight'
   AND s.name = g.component
WHERE g.run_id = $run_id
ORDER BY g.component, g.variation
