-- Statistics of the weight variation grid (SPEC §8): which decisions each cell takes, with
-- their outcomes; cell -1 is the population itself (every decision the grid considers, taken
-- or not: the weights' evidence, SPEC §14), included when $with_population.
-- score'_i = Σ_k W'_k·x_ik is one dot product per (decision, cell): a matrix product in SQL.
-- A decision is taken iff score' >= θ and it is executed or blocked for a score reason;
-- executed trades bring their realized outcome (open ones unresolved), blocked ones their
-- counterfactual.
-- When the weights moved, a cell's `weights_before` are its weights under the old ones: each
-- decision then counts +1 where only the new weights take it and -1 where only the old ones
-- did, so the statistics of the old weights plus these are those of the new (the sums are
-- exact), and only the decisions whose take flips are summed.
-- reads: run_decisions, counterfactual_outcomes, weight_cells
WITH population AS (
    SELECT
        d.decision_key,
        d.weight,
        list_transform($components, lambda k: coalesce(d.components[k], 0.0)) AS x,
        if(d.kind = 'executed', if(d.realized_pnl IS NULL, 'open', 'ok'), cf.status) AS status,
        if(d.kind = 'executed', d.realized_pnl, cf.pnl) AS pnl,
        if(d.kind = 'executed', d.realized_ret, cf.ret) AS ret,
        if(d.kind = 'executed', d.realized_exit_t, cf.exit_t) AS exit_t
    FROM run_decisions AS d
    LEFT JOIN counterfactual_outcomes AS cf USING (decision_key)
    WHERE d.kind = 'executed' OR list_contains($score_block_reasons, d.reason)
),

taken AS (
    SELECT
        c.cell_id,
        p.*,
        CAST(list_dot_product(p.x, c.weights) >= $score_threshold AS INTEGER)
            - CAST(coalesce(list_dot_product(p.x, c.weights_before) >= $score_threshold, false)
                AS INTEGER) AS sign
    FROM population AS p
    CROSS JOIN weight_cells AS c
),

outcomes AS (
    SELECT cell_id, status, pnl, ret, weight, exit_t, decision_key, sign
    FROM taken
    WHERE sign <> 0
    UNION ALL
    SELECT -1 AS cell_id, status, pnl, ret, weight, exit_t, decision_key, 1 AS sign
    FROM population
    WHERE $with_population
)

SELECT *
FROM cell_days('outcomes')
