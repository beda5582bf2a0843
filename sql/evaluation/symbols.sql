-- A small integer code per symbol with bars (symbol_id), for the walk-forward's ASOF joins:
-- sorting on it is several times cheaper than on the symbol text.
-- reads: scenario_bars
SELECT symbol, CAST(row_number() OVER (ORDER BY symbol) AS INTEGER) AS symbol_id
FROM (SELECT DISTINCT symbol FROM scenario_bars)
