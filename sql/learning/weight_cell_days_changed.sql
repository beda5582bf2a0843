-- What this run changed in the weight grid's statistics, its cells unchanged (the weights stand
-- still): the decisions it replayed, with their outcome now (+1) less their outcome in the
-- stored statistics (-1; an executed trade's is the same, a blocked trade's is its replaced
-- counterfactual; a new decision has none). Cells as in weight_cell_days.sql.
-- reads: run_decisions, counterfactual_outcomes, weight_cells, replay_decisions, replaced_outcomes, run_moments
WITH considered AS (
    SELECT
        d.decision_key,
        d.kind,
        d.weight,
        list_transform($components, lambda k: coalesce(d.components[k], 0.0)) AS x,
        d.realized_pnl,
        d.realized_ret,
        d.realized_exit_t
    FROM run_decisions AS d
    SEMI JOIN replay_decisions AS r USING (decision_key)
    WHERE d.kind = 'executed' OR list_contains($score_block_reasons, d.reason)
),

old_counterfactuals AS (
    SELECT o.*
    FROM replaced_outcomes AS o
    JOIN run_moments AS m USING (moment_id)
    WHERE m.is_counterfactual
),

changed AS (
    SELECT
        c.decision_key,
        c.weight,
        c.x,
        if(c.kind = 'executed', if(c.realized_pnl IS NULL, 'open', 'ok'), cf.status) AS status,
        if(c.kind = 'executed', c.realized_pnl, cf.pnl) AS pnl,
        if(c.kind = 'executed', c.realized_ret, cf.ret) AS ret,
        if(c.kind = 'executed', c.realized_exit_t, cf.exit_t) AS exit_t,
        1 AS sign
    FROM considered AS c
    LEFT JOIN counterfactual_outcomes AS cf USING (decision_key)
    UNION ALL
    SELECT
        c.decision_key,
        c.weight,
        c.x,
        if(c.kind = 'executed', if(c.realized_pnl IS NULL, 'open', 'ok'), old.status) AS status,
        if(c.kind = 'executed', c.realized_pnl, old.pnl) AS pnl,
        if(c.kind = 'executed', c.realized_ret, old.ret) AS ret,
        if(c.kind = 'executed', c.realized_exit_t, old.exit_t) AS exit_t,
        -1 AS sign
    FROM considered AS c
    JOIN old_counterfactuals AS old USING (decision_key)
),

outcomes AS (
    SELECT c.cell_id, p.status, p.pnl, p.ret, p.weight, p.exit_t, p.decision_key, p.sign
    FROM changed AS p
    CROSS JOIN weight_cells AS c
    WHERE list_dot_product(p.x, c.weights) >= $score_threshold
    UNION ALL
    SELECT -1 AS cell_id, status, pnl, ret, weight, exit_t, decision_key, sign
    FROM changed
)

SELECT *
FROM cell_days('outcomes')
