-- Scenario outcome of every decision in `scenario_decisions` under every (entry_delay_min,
-- hold_min) in `scenario_cells` (SPEC §4). Both legs are ASOF lookups over all rows at once:
-- the greatest available_at <= t, so no bar is used before it was known (no look-ahead).
WITH legs AS (
    SELECT
        d.decision_idx,
        d.decision_id,
        d.kind,
        d.symbol,
        d.direction,
        d.notional,
        d.weight,
        c.cell_id,
        c.entry_delay_min,
        c.hold_min,
        d.ts + minutes(c.entry_delay_min) AS entry_t,
        d.ts + minutes(c.entry_delay_min) + minutes(c.hold_min) AS exit_t
    FROM scenario_decisions AS d
    CROSS JOIN scenario_cells AS c
),

entry_priced AS (
    SELECT
        legs.*,
        b.close AS entry_close,
        b.available_at AS entry_bar_at
    FROM legs
    ASOF LEFT JOIN scenario_bars AS b
        ON b.symbol = legs.symbol
        AND b.available_at <= legs.entry_t
),

both_priced AS (
    SELECT
        e.*,
        b.close AS exit_close,
        b.available_at AS exit_bar_at
    FROM entry_priced AS e
    ASOF LEFT JOIN scenario_bars AS b
        ON b.symbol = e.symbol
        AND b.available_at <= e.exit_t
),

statused AS (
    SELECT
        p.*,
        leg_status(p.entry_t, p.entry_bar_at, h.last_available_at, $max_staleness_min) AS entry_status,
        leg_status(p.exit_t, p.exit_bar_at, h.last_available_at, $max_staleness_min) AS exit_status
    FROM both_priced AS p
    LEFT JOIN scenario_horizons AS h
        ON h.symbol = p.symbol
)

SELECT
    decision_idx,
    decision_id,
    kind,
    cell_id,
    entry_delay_min,
    hold_min,
    weight,
    entry_t,
    if(entry_status = 'ok', entry_close, NULL) AS entry_px,
    exit_t,
    if(exit_status = 'ok', exit_close, NULL) AS exit_px,
    outcome_status(entry_status, exit_status) AS status,
    if(outcome_status(entry_status, exit_status) = 'ok',
       direction * (exit_close / entry_close - 1) - $cost_ret, NULL) AS ret,
    if(outcome_status(entry_status, exit_status) = 'ok',
       (direction * (exit_close / entry_close - 1) - $cost_ret) * notional, NULL) AS pnl
FROM statused
