-- Resolved stored outcomes a changed bar invalidates: a new or corrected bar inside a leg's window
-- [bar it used, lookup time] changes price_at, and so does losing the bar a leg used.
-- reads: changed_bars, state.scenario_outcomes, raw.decisions, raw.prices
WITH first_change AS (
    SELECT symbol, min(available_at) AS first_changed_at
    FROM changed_bars
    GROUP BY symbol
),

-- coarse, cheap: only resolved outcomes whose exit reaches the first changed bar can be
-- touched (pending ones are replayed anyway). A resolved outcome's lookups lie within its
-- symbol's data, so bars appended after the data's end reach none: a scan of two columns.
reaching AS (
    SELECT o.decision_key, o.entry_delay_min, o.hold_min,
           o.entry_t, o.entry_bar_at, o.exit_t, o.exit_bar_at
    FROM state.scenario_outcomes AS o
    WHERE o.exit_t >= (SELECT min(first_changed_at) FROM first_change)
        AND o.status <> 'pending'
),

candidates AS (
    SELECT r.*, d.symbol
    FROM reaching AS r
    JOIN raw.decisions AS d USING (decision_key)
    JOIN first_change AS c
        ON c.symbol = d.symbol
        AND r.exit_t >= c.first_changed_at
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
stored_of_corrected AS (
    SELECT o.decision_key, o.entry_delay_min, o.hold_min, o.entry_bar_at, o.exit_bar_at,
           d.symbol
    FROM state.scenario_outcomes AS o
    JOIN raw.decisions AS d USING (decision_key)
    WHERE d.symbol IN (SELECT symbol FROM changed_bars WHERE from_correcting_file)
),

moved AS (
    SELECT o.decision_key, o.entry_delay_min, o.hold_min
    FROM stored_of_corrected AS o
    WHERE (o.entry_bar_at IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM raw.prices AS b
            WHERE b.symbol = o.symbol AND b.available_at = o.entry_bar_at))
        OR (o.exit_bar_at IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM raw.prices AS b
            WHERE b.symbol = o.symbol AND b.available_at = o.exit_bar_at))
)

SELECT * FROM touched
UNION
SELECT * FROM moved
