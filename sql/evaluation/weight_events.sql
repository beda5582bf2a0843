-- The weight grid's statistics as events (SPEC §16), for its cells under one set of weights
-- (weight_cells): each decision the grid considers enters when it is first known, with its §8
-- outcome as known then (an executed trade open until its exit is, a blocked one pending until
-- its counterfactual resolves), and turns into its final outcome when that becomes known. Cell
-- = k · 1e6 + cell_id + 1 (cell 0: the population, the evidence, when $with_population).
-- With `weights_before` (a step moved the weights), only what flips, as in
-- sql/learning/weight_cell_days.sql: the old stream plus these events is the new one.
-- reads: run_decisions, eval_decisions, eval_counterfactuals, weight_cells
WITH population AS (
    SELECT
        d.decision_key,
        d.weight,
        list_transform($components, lambda c: coalesce(d.components[c], 0.0)) AS x,
        k.k_known,
        if(d.kind = 'executed', k.k_exit, cf.k_resolved) AS k_resolved,
        if(d.kind = 'executed', if(d.realized_pnl IS NULL, 'open', 'ok'), cf.status) AS status,
        if(d.kind = 'executed', 'open', 'pending') AS unknown_status,
        if(d.kind = 'executed', d.realized_pnl, cf.pnl) AS pnl,
        if(d.kind = 'executed', d.realized_ret, cf.ret) AS ret,
        if(d.kind = 'executed', d.realized_exit_t, cf.exit_t) AS exit_t
    FROM run_decisions AS d
    JOIN eval_decisions AS k USING (decision_key)
    LEFT JOIN eval_counterfactuals AS cf USING (decision_key)
    WHERE (d.kind = 'executed' OR list_contains($score_block_reasons, d.reason))
        AND k.k_known IS NOT NULL
),

events AS (
    SELECT k_known AS k, decision_key, weight, x, exit_t,
        if(k_resolved <= k_known, status, unknown_status) AS status,
        if(k_resolved <= k_known, pnl, NULL) AS pnl,
        if(k_resolved <= k_known, ret, NULL) AS ret,
        1 AS sign
    FROM population
    UNION ALL
    SELECT k_resolved AS k, decision_key, weight, x, exit_t, unknown_status AS status,
        NULL AS pnl, NULL AS ret, -1 AS sign
    FROM population
    WHERE k_resolved > k_known
    UNION ALL
    SELECT k_resolved AS k, decision_key, weight, x, exit_t, status, pnl, ret, 1 AS sign
    FROM population
    WHERE k_resolved > k_known
),

taken AS (
    SELECT
        CAST(e.k AS BIGINT) * 1000000 + c.cell_id + 1 AS cell_id,
        e.status, e.pnl, e.ret, e.weight, e.exit_t, e.decision_key,
        e.sign * (
            CAST(list_dot_product(e.x, c.weights) >= $score_threshold AS INTEGER)
            - CAST(coalesce(list_dot_product(e.x, c.weights_before) >= $score_threshold, false)
                AS INTEGER)
        ) AS sign
    FROM events AS e
    CROSS JOIN weight_cells AS c
),

outcomes AS (
    SELECT * FROM taken WHERE sign <> 0
    UNION ALL
    SELECT CAST(k AS BIGINT) * 1000000 AS cell_id,
        status, pnl, ret, weight, exit_t, decision_key, sign
    FROM events
    WHERE $with_population
)

SELECT *
FROM cell_days('outcomes')
