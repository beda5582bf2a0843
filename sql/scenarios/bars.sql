-- The price series scenarios read: what each bar's close was and when it became known.
-- A view, not a copy: the ASOF join sorts what it needs.
-- reads: raw.prices
SELECT symbol, available_at, close
FROM raw.prices
