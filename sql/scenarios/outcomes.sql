-- Scenario outcome of every decision in `scenario_decisions` at every moment (moment_id,
-- entry_delay_min, hold_min) in `scenario_moments` (SPEC §4).
--
-- A price is the bar with the greatest available_at <= t (one ASOF join over all lookups at
-- once), so no bar is used before it was known (§3). Entry prices are looked up once per
-- decision and distinct entry delay (the 16 default cells share 4 entry moments), exit prices
-- once per decision and cell; the two meet in one join on (decision, entry delay). Lookups
-- carry only their keys: the decision's other columns join in at the end. The ASOF join matches
-- symbols by a small integer code of this query (symbol_id): sorting lookups and bars on it is
-- about three times cheaper than on the symbol text.
-- reads: scenario_decisions, scenario_moments, scenario_bars, scenario_horizons
WITH symbols AS (
    SELECT
        symbol,
        CAST(row_number() OVER (ORDER BY symbol) AS INTEGER) AS symbol_id
    FROM (SELECT DISTINCT symbol FROM scenario_decisions)
),

coded_decisions AS (
    SELECT d.decision_key, s.symbol_id, d.ts
    FROM scenario_decisions AS d
    JOIN symbols AS s
        ON s.symbol = d.symbol
),

-- A lookup at t finds the last bar at or before t, never one before the last bar at or
-- before the symbol's earliest lookup, nor one after its latest lookup: other bars are left
-- out of the ASOF sort (a run that replays the last hour's decisions sorts the last hours of
-- bars, not years; the walk-forward, replaying what is known at a boundary, not the future).
lookup_spans AS (
    SELECT
        d.symbol_id,
        min(d.ts + minutes(least(c.entry_delay_min, c.entry_delay_min + c.hold_min))) AS first_t,
        max(d.ts + minutes(greatest(c.entry_delay_min, c.entry_delay_min + c.hold_min)))
            AS last_t
    FROM coded_decisions AS d
    CROSS JOIN scenario_moments AS c
    GROUP BY d.symbol_id
),

bar_floors AS (
    SELECT s.symbol_id, max(b.available_at) AS floor_at
    FROM scenario_bars AS b
    JOIN symbols AS s
        ON s.symbol = b.symbol
    JOIN lookup_spans AS f
        ON f.symbol_id = s.symbol_id
    WHERE b.available_at <= f.first_t
    GROUP BY s.symbol_id
),

coded_bars AS (
    SELECT s.symbol_id, b.available_at, b.close
    FROM scenario_bars AS b
    JOIN symbols AS s
        ON s.symbol = b.symbol
    JOIN lookup_spans AS l
        ON l.symbol_id = s.symbol_id
    LEFT JOIN bar_floors AS f
        ON f.symbol_id = s.symbol_id
    WHERE (f.floor_at IS NULL OR b.available_at >= f.floor_at)
        AND b.available_at <= l.last_t
),

entry_delays AS (
    SELECT DISTINCT entry_delay_min
    FROM scenario_moments
),

entry_lookups AS (
    SELECT
        d.decision_key,
        d.symbol_id,
        e.entry_delay_min,
        d.ts + minutes(e.entry_delay_min) AS t
    FROM coded_decisions AS d
    CROSS JOIN entry_delays AS e
),

exit_lookups AS (
    SELECT
        d.decision_key,
        d.symbol_id,
        c.moment_id,
        c.entry_delay_min,
        d.ts + minutes(c.entry_delay_min + c.hold_min) AS t
    FROM coded_decisions AS d
    CROSS JOIN scenario_moments AS c
),

-- entry and exit lookups in one ASOF join, so the bars are sorted once (an entry lookup has
-- no moment: the moments of one entry delay share it)
lookups AS (
    SELECT decision_key, symbol_id, CAST(NULL AS INTEGER) AS moment_id, entry_delay_min, t
    FROM entry_lookups
    UNION ALL
    SELECT decision_key, symbol_id, moment_id, entry_delay_min, t
    FROM exit_lookups
),

prices AS (
    SELECT
        l.decision_key,
        l.moment_id,
        l.entry_delay_min,
        l.t,
        b.close,
        b.available_at AS bar_at
    FROM lookups AS l
    ASOF LEFT JOIN coded_bars AS b
        ON b.symbol_id = l.symbol_id
        AND b.available_at <= l.t
),

entry_prices AS (
    SELECT decision_key, entry_delay_min, close, bar_at
    FROM prices
    WHERE moment_id IS NULL
),

exit_prices AS (
    SELECT decision_key, moment_id, entry_delay_min, t, close, bar_at
    FROM prices
    WHERE moment_id IS NOT NULL
),

legs AS (
    SELECT
        x.decision_key,
        x.moment_id,
        c.entry_delay_min,
        c.hold_min,
        d.kind,
        d.weight,
        d.direction,
        d.notional,
        d.ts + minutes(c.entry_delay_min) AS entry_t,
        en.close AS entry_close,
        en.bar_at AS entry_bar_at,
        x.t AS exit_t,
        x.close AS exit_close,
        x.bar_at AS exit_bar_at,
        h.last_available_at
    FROM exit_prices AS x
    JOIN entry_prices AS en
        ON en.decision_key = x.decision_key
        AND en.entry_delay_min = x.entry_delay_min
    JOIN scenario_moments AS c
        ON c.moment_id = x.moment_id
    JOIN scenario_decisions AS d
        ON d.decision_key = x.decision_key
    LEFT JOIN scenario_horizons AS h
        ON h.symbol = d.symbol
),

leg_statuses AS (
    SELECT
        *,
        leg_status(entry_t, entry_bar_at, last_available_at, $max_staleness_min) AS entry_status,
        leg_status(exit_t, exit_bar_at, last_available_at, $max_staleness_min) AS exit_status
    FROM legs
),

resolved AS (
    SELECT
        *,
        outcome_status(entry_status, exit_status) AS status
    FROM leg_statuses
)

SELECT
    decision_key,
    kind,
    moment_id,
    entry_delay_min,
    hold_min,
    weight,
    entry_t,
    if(entry_status = 'ok', entry_close, NULL) AS entry_px,
    exit_t,
    if(exit_status = 'ok', exit_close, NULL) AS exit_px,
    status,
    if(status = 'ok', direction * (exit_close / entry_close - 1) - $cost_ret, NULL) AS ret,
    if(status = 'ok',
       (direction * (exit_close / entry_close - 1) - $cost_ret) * notional, NULL) AS pnl,
    entry_bar_at,
    exit_bar_at
FROM resolved
