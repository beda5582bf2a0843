-- Decide what happens to each valid staged bar: new, duplicate, correction (same symbol and ts,
-- other values: replaces the stored bar, SPEC §2), or unknown_interval (cannot stamp available_at).
-- $interval_sec: the --interval given, or NULL to infer per symbol as the most common gap.
-- $bar_time: 'open' (available at ts + interval) or 'close' (available at ts).
-- reads: parsed_rows, raw.prices
WITH last_in_file AS (
    SELECT
        *,
        row_number() OVER (PARTITION BY symbol, ts ORDER BY row_number DESC) AS nth_from_last
    FROM parsed_rows
    WHERE reject_reason IS NULL
),

gaps AS (
    SELECT
        symbol,
        epoch(ts) - epoch(lag(ts) OVER (PARTITION BY symbol ORDER BY ts)) AS gap_sec
    FROM last_in_file
    WHERE nth_from_last = 1
),

inferred AS (
    -- most common gap; ties go to the smaller gap
    SELECT symbol, arg_min(gap_sec, (-n, gap_sec)) AS interval_sec
    FROM (SELECT symbol, gap_sec, count(*) AS n FROM gaps WHERE gap_sec > 0 GROUP BY ALL)
    GROUP BY symbol
),

stored_interval AS (
    SELECT symbol, arg_max(interval_sec, ts) AS interval_sec
    FROM raw.prices
    WHERE symbol IN (SELECT DISTINCT symbol FROM parsed_rows)
    GROUP BY symbol
),

stamped AS (
    SELECT
        f.*,
        CAST(coalesce($interval_sec, i.interval_sec, s.interval_sec) AS BIGINT) AS interval_sec
    FROM last_in_file AS f
    LEFT JOIN inferred AS i USING (symbol)
    LEFT JOIN stored_interval AS s USING (symbol)
),

timed AS (
    SELECT
        *,
        CASE
            WHEN $bar_time = 'close' THEN ts
            ELSE ts + to_seconds(interval_sec)
        END AS available_at
    FROM stamped
)

SELECT
    t.*,
    CASE
        WHEN t.nth_from_last > 1 THEN 'duplicate'
        WHEN t.interval_sec IS NULL THEN 'unknown_interval'
        WHEN p.ts IS NULL THEN 'new'
        WHEN (p.open, p.high, p.low, p.close, p.volume, p.available_at)
            IS NOT DISTINCT FROM (t.open, t.high, t.low, t.close, t.volume, t.available_at)
            THEN 'duplicate'
        ELSE 'correction'
    END AS disposition
FROM timed AS t
LEFT JOIN raw.prices AS p
    ON p.symbol = t.symbol
    AND p.ts = t.ts
