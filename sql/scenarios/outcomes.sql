-- Scenario outcome of every decision in `scenario_decisions` under every (entry_delay_min,
-- hold_min) in `scenario_cells` (SPEC §4).
--
-- Prices are looked up once per distinct moment: a decision's legs fall at ts + delay (entry)
-- and ts + delay + hold (exit), and the 16 default cells share 4 entry moments, so the lookups
-- are 20 per decision instead of 32. They are one ASOF join over all decisions at once: the
-- bar with the greatest available_at <= t, so no bar is used before it was known (§3).
WITH offsets AS (
    SELECT
        offset_min,
        CAST(row_number() OVER (ORDER BY offset_min) AS INTEGER) AS offset_idx
    FROM (
        SELECT entry_delay_min AS offset_min FROM scenario_cells
        UNION
        SELECT entry_delay_min + hold_min FROM scenario_cells
    )
),

lookups AS (
    SELECT
        d.decision_idx,
        d.symbol,
        o.offset_idx,
        d.ts + minutes(o.offset_min) AS t,
        h.last_available_at
    FROM scenario_decisions AS d
    CROSS JOIN offsets AS o
    LEFT JOIN scenario_horizons AS h
        ON h.symbol = d.symbol
),

prices_at AS (
    SELECT
        l.decision_idx,
        l.offset_idx,
        b.close AS px,
        b.available_at AS bar_at,
        leg_status(l.t, b.available_at, l.last_available_at, $max_staleness_min) AS status
    FROM lookups AS l
    ASOF LEFT JOIN scenario_bars AS b
        ON b.symbol = l.symbol
        AND b.available_at <= l.t
),

cell_legs AS (
    SELECT
        c.cell_id,
        c.entry_delay_min,
        c.hold_min,
        e.offset_idx AS entry_idx,
        x.offset_idx AS exit_idx
    FROM scenario_cells AS c
    JOIN offsets AS e
        ON e.offset_min = c.entry_delay_min
    JOIN offsets AS x
        ON x.offset_min = c.entry_delay_min + c.hold_min
),

legs AS (
    SELECT
        c.cell_id,
        c.entry_delay_min,
        c.hold_min,
        en.decision_idx,
        en.px AS entry_close,
        en.status AS entry_status,
        en.bar_at AS entry_bar_at,
        ex.px AS exit_close,
        ex.status AS exit_status,
        ex.bar_at AS exit_bar_at,
        outcome_status(en.status, ex.status) AS status
    FROM cell_legs AS c
    JOIN prices_at AS en
        ON en.offset_idx = c.entry_idx
    JOIN prices_at AS ex
        ON ex.decision_idx = en.decision_idx
        AND ex.offset_idx = c.exit_idx
)

SELECT
    l.decision_idx,
    d.kind,
    l.cell_id,
    l.entry_delay_min,
    l.hold_min,
    d.weight,
    d.ts + minutes(l.entry_delay_min) AS entry_t,
    if(l.entry_status = 'ok', l.entry_close, NULL) AS entry_px,
    d.ts + minutes(l.entry_delay_min + l.hold_min) AS exit_t,
    if(l.exit_status = 'ok', l.exit_close, NULL) AS exit_px,
    l.status,
    if(l.status = 'ok', d.direction * (l.exit_close / l.entry_close - 1) - $cost_ret, NULL) AS ret,
    if(l.status = 'ok',
       (d.direction * (l.exit_close / l.entry_close - 1) - $cost_ret) * d.notional, NULL) AS pnl,
    l.entry_bar_at,
    l.exit_bar_at
FROM legs AS l
JOIN scenario_decisions AS d
    ON d.decision_idx = l.decision_idx
