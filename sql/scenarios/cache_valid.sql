-- Cached outcomes this run can reuse: same settings ($inputs_key), a moment this run needs, a
-- decision still loaded, not pending (pending ones may resolve now), and no changed bar inside
-- a leg's window [bar it used, lookup time] (a new or corrected bar there changes price_at),
-- and the bar each leg used still known at that moment.
WITH first_change AS (
    SELECT symbol, min(available_at) AS first_changed_at
    FROM changed_bars
    GROUP BY symbol
),

-- coarse, cheap: only outcomes whose exit reaches the symbol's first changed bar can be touched
candidates AS (
    SELECT o.decision_id, o.symbol, o.entry_delay_min, o.hold_min,
           o.entry_t, o.entry_bar_at, o.exit_t, o.exit_bar_at
    FROM state.scenario_outcomes AS o
    JOIN first_change AS c
        ON c.symbol = o.symbol
        AND o.exit_t >= c.first_changed_at
),

touched AS (
    SELECT DISTINCT c.decision_id, c.entry_delay_min, c.hold_min
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
    SELECT o.decision_id, o.entry_delay_min, o.hold_min
    FROM state.scenario_outcomes AS o
    WHERE o.symbol IN (SELECT symbol FROM changed_bars WHERE from_correcting_file)
        AND (
            (o.entry_bar_at IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM scenario_bars AS b
                WHERE b.symbol = o.symbol AND b.available_at = o.entry_bar_at))
            OR (o.exit_bar_at IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM scenario_bars AS b
                WHERE b.symbol = o.symbol AND b.available_at = o.exit_bar_at))
        )
)

SELECT
    d.decision_idx,
    m.moment_id,
    o.*
FROM state.scenario_outcomes AS o
JOIN run_moments AS m
    ON m.entry_delay_min = o.entry_delay_min
    AND m.hold_min = o.hold_min
JOIN run_decisions AS d
    ON d.decision_id = o.decision_id
ANTI JOIN (SELECT * FROM touched UNION SELECT * FROM moved) AS t
    ON t.decision_id = o.decision_id
    AND t.entry_delay_min = o.entry_delay_min
    AND t.hold_min = o.hold_min
WHERE o.inputs_key = $inputs_key
    AND o.status <> 'pending'
