-- How far each symbol's price data reaches: a lookup beyond it is pending, not stale.
-- reads: raw.prices
SELECT symbol, max(available_at) AS last_available_at
FROM raw.prices
GROUP BY symbol
