-- When each decision enters the walk-forward's view (SPEC §16): the first boundary t_k at or
-- after its ts (k_known), and for a closed executed trade the first at or after its exit
-- (k_exit: its realized outcome is known from then; before, it is open); its symbol's code
-- (null without bars).
-- reads: run_decisions, eval_boundaries, eval_symbols
WITH known AS (
    SELECT d.decision_key, b.k AS k_known
    FROM run_decisions AS d
    ASOF LEFT JOIN eval_boundaries AS b
        ON b.t >= d.ts
),

exits AS (
    SELECT d.decision_key, b.k AS k_exit
    FROM run_decisions AS d
    ASOF LEFT JOIN eval_boundaries AS b
        ON b.t >= d.realized_exit_t
    WHERE d.realized_pnl IS NOT NULL
)

SELECT d.decision_key, s.symbol_id, k.k_known, e.k_exit
FROM run_decisions AS d
JOIN known AS k USING (decision_key)
LEFT JOIN exits AS e USING (decision_key)
LEFT JOIN eval_symbols AS s USING (symbol)
