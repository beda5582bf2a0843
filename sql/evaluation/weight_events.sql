-- The weight grid's statistics as events (SPEC §16), for its cells under one set of weights
-- (weight_cells): each decision the grid considers enters when it is first known, with its §8
-- outcome as known then (an executed trade open until its exit is, a blocked one pending until
-- its counterfactual resolves), and turns into its final outcome when that becomes known. Cell
-- = k · 1e6 + cell_id + 1 (cell 0: the population, the evidence, when $with_population).
-- With `weights_before` (a step moved the weights), only what flips, as in
-- sql/learning/weight_cell_days.sql: the old stream plus these events is the new one.
-- reads: eval_weight_population, weight_cells
WITH events AS (
    SELECT k_known AS k, decision_key, weight, exit_t,
        if(k_resolved <= k_known, status, unknown_status) AS status,
        if(k_resolved <= k_known, pnl, NULL) AS pnl,
        if(k_resolved <= k_known, ret, NULL) AS ret,
        1 AS sign
    FROM eval_weight_population
    UNION ALL
    SELECT k_resolved AS k, decision_key, weight, exit_t, unknown_status AS status,
        NULL AS pnl, NULL AS ret, -1 AS sign
    FROM eval_weight_population
    WHERE k_resolved > k_known
    UNION ALL
    SELECT k_resolved AS k, decision_key, weight, exit_t, status, pnl, ret, 1 AS sign
    FROM eval_weight_population
    WHERE k_resolved > k_known
),

-- whether a cell takes a decision depends on its components, not on the event: scored once
-- per (decision, cell), and only the pairs that flip meet the events
flips AS (
    SELECT p.decision_key, c.cell_id,
        CAST(list_dot_product(p.x, c.weights) >= $score_threshold AS INTEGER)
            - CAST(coalesce(list_dot_product(p.x, c.weights_before) >= $score_threshold, false)
                AS INTEGER) AS flip
    FROM eval_weight_population AS p
    CROSS JOIN weight_cells AS c
),

taken AS (
    SELECT
        CAST(e.k AS BIGINT) * 1000000 + f.cell_id + 1 AS cell_id,
        e.status, e.pnl, e.ret, e.weight, e.exit_t, e.decision_key, e.sign * f.flip AS sign
    FROM events AS e
    JOIN flips AS f USING (decision_key)
    WHERE f.flip <> 0
),

outcomes AS (
    SELECT * FROM taken
    UNION ALL
    SELECT CAST(k AS BIGINT) * 1000000 AS cell_id,
        status, pnl, ret, weight, exit_t, decision_key, sign
    FROM events
    WHERE $with_population
)

SELECT *
FROM cell_days('outcomes')
