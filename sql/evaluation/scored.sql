-- Every period scored under each policy (SPEC §16), on weights and multipliers: the decisions
-- of period k (eval_period_decisions) scored with what finally happened and the plain weights
-- of §5–8 (no recency factor) under the state in eval_periods (policies 0 … $policies − 2: the
-- learning lanes at t_k; the last: static, the initial state):
--   weight:     considered decisions taken iff Σ W·x >= θ, their §8 outcome;
--   multiplier: executed trades, realized pnl and ret × the multiplier of their bucket.
-- (Timing, every decision's §4 outcome at the state's (delay, hold), is summed per moment:
-- sql/evaluation/timing_periods.sql.) Cell = (k · $policies + policy) · 3 + kind (0 weight,
-- 1 multiplier; 2 timing).
-- reads: run_decisions, eval_period_decisions, eval_periods, eval_counterfactuals
WITH periods AS (
    SELECT d.*, p.period
    FROM run_decisions AS d
    JOIN eval_period_decisions AS p USING (decision_key)
),

weight AS (
    SELECT
        (p.period * $policies + s.policy) * 3 AS cell_id,
        if(p.kind = 'executed', if(p.realized_pnl IS NULL, 'open', 'ok'), cf.status) AS status,
        if(p.kind = 'executed', p.realized_pnl, cf.pnl) AS pnl,
        if(p.kind = 'executed', p.realized_ret, cf.ret) AS ret,
        p.weight,
        if(p.kind = 'executed', p.realized_exit_t, cf.exit_t) AS exit_t,
        p.decision_key,
        1 AS sign
    FROM periods AS p
    JOIN eval_periods AS s ON s.k = p.period
    LEFT JOIN eval_counterfactuals AS cf USING (decision_key)
    WHERE (p.kind = 'executed' OR list_contains($score_block_reasons, p.reason))
        AND list_dot_product(
            list_transform($components, lambda c: coalesce(p.components[c], 0.0)), s.weights
        ) >= $score_threshold
),

multiplier AS (
    SELECT
        (p.period * $policies + s.policy) * 3 + 1 AS cell_id,
        if(p.realized_pnl IS NULL, 'open', 'ok') AS status,
        p.realized_pnl * f.factor AS pnl,
        p.realized_ret * f.factor AS ret,
        1.0 AS weight,
        p.realized_exit_t AS exit_t,
        p.decision_key,
        1 AS sign
    FROM periods AS p
    JOIN eval_periods AS s ON s.k = p.period
    CROSS JOIN LATERAL (
        SELECT s.multipliers[len(list_filter(s.edges, lambda e: e <= p.entry_score)) + 1] AS factor
    ) AS f
    WHERE p.kind = 'executed'
),

outcomes AS (
    SELECT * FROM weight
    UNION ALL
    SELECT * FROM multiplier
)

SELECT *
FROM cell_days('outcomes')
