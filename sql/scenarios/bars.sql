-- The price series scenarios read: what each bar's close was and when it became known.
SELECT symbol, available_at, close
FROM raw.prices
ORDER BY symbol, available_at
