-- How far each symbol's bars reach at each boundary (SPEC §16: bars with available_at <= t_k):
-- a lookup at or before a symbol's horizon at t_k sees exactly what the full data shows, one
-- after it is pending. Per symbol (its eval_symbols code), the first boundary a horizon is
-- reached at.
-- reads: eval_boundaries, eval_symbols, scenario_bars
WITH lookups AS (
    SELECT s.symbol, s.symbol_id, b.k, b.t
    FROM eval_symbols AS s
    CROSS JOIN eval_boundaries AS b
),

reached AS (
    SELECT l.symbol_id, l.k, p.available_at AS horizon
    FROM lookups AS l
    ASOF JOIN scenario_bars AS p
        ON p.symbol = l.symbol
        AND p.available_at <= l.t
)

SELECT symbol_id, horizon, min(k) AS k
FROM reached
GROUP BY symbol_id, horizon
