-- Stored outcomes a changed bar invalidates: a new or corrected bar inside a leg's window
-- [bar it used, lookup time] changes price_at, and so does losing the bar a leg used.
-- reads: changed_bars, state.scenario_outcomes, raw.prices
WITH first_change AS (
    SELECT symbol, min(available_at) AS first_changed_at
    FROM changed_bars
    GROUP BY symbol
),

-- coarse, cheap: only outcomes whose exit reaches the symbol's first changed bar can be touched
candidates AS (
    SELECT o.decision_key, o.symbol, o.entry_delay_min, o.hold_min,
           o.entry_t, o.entry_bar_at, o.exit_t, o.exit_bar_at
    FROM state.scenario_outcomes AS o
    JOIN first_change AS c
        ON c.symbol = o.symbol
        AND o.exit_t >= c.first_changed_at
),

touched AS (
    SELECT DISTINCT c.decision_key, c.entry_delay_min, c.hold_min
    FROM candidates AS c
    JOIN changed_bars AS b
        ON b.symbol = c.symbol
    WHERE (b.available_at <= c.entry_t AND b.available_at >= coalesce(c.entry_bar_at, '-infinity'::TIMESTAMP))
        OR (b.available_at <= c.exit_t AND b.available_at >= coalesce(c.exit_bar_at, '-infinity'::TIMESTAMP))
),

-- A correction can move a bar later (stamped with another --interval or --bar-time): the
-- outcomes that used it at its old available_at lose their bar, whatever their exit time.
-- Checked only for symbols whose new files corrected bars.
moved AS (
    SELECT o.decision_key, o.entry_delay_min, o.hold_min
    FROM state.scenario_outcomes AS o
    WHERE o.symbol IN (SELECT symbol FROM changed_bars WHERE from_correcting_file)
        AND (
            (o.entry_bar_at IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM raw.prices AS b
                WHERE b.symbol = o.symbol AND b.available_at = o.entry_bar_at))
            OR (o.exit_bar_at IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM raw.prices AS b
                WHERE b.symbol = o.symbol AND b.available_at = o.exit_bar_at))
        )
)

SELECT * FROM touched
UNION
SELECT * FROM moved
