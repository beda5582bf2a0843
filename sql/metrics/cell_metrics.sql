-- SPEC §6 metrics of every cell in `grid_cells` over its rows in `cell_outcomes`
-- (cell_id, resolved, pnl, ret, weight, exit_t). Every cell is returned, empty or not.
WITH resolved AS (
    SELECT cell_id, pnl, ret, weight, exit_t
    FROM cell_outcomes
    WHERE resolved
),

counts AS (
    SELECT
        cell_id,
        count(*) FILTER (WHERE resolved) AS n,
        count(*) FILTER (WHERE NOT resolved) AS n_unresolved
    FROM cell_outcomes
    GROUP BY cell_id
),

sums AS (
    SELECT
        cell_id,
        sum(pnl) AS total_pnl,
        sum(weight * pnl) AS weighted_pnl,
        avg(ret) AS mean_ret,
        avg(CAST(pnl > 0 AS DOUBLE)) AS win_rate
    FROM resolved
    GROUP BY cell_id
),

daily AS (
    SELECT cell_id, CAST(exit_t AS DATE) AS day, sum(weight * pnl) AS daily_pnl
    FROM resolved
    GROUP BY ALL
),

-- Days without an outcome count as 0 between the first and the last day.
day_span AS (
    SELECT
        cell_id,
        date_diff('day', min(day), max(day)) + 1 AS n_days,
        count(*) AS n_active_days,
        sum(daily_pnl) / (date_diff('day', min(day), max(day)) + 1) AS mean_daily,
        max(abs(daily_pnl)) AS max_abs_daily
    FROM daily
    GROUP BY cell_id
),

spread AS (
    SELECT
        s.cell_id,
        s.n_days,
        s.mean_daily,
        s.max_abs_daily,
        sum((d.daily_pnl - s.mean_daily) ^ 2) + (s.n_days - s.n_active_days) * s.mean_daily ^ 2
            AS sum_sq_dev
    FROM daily AS d
    JOIN day_span AS s USING (cell_id)
    GROUP BY s.cell_id, s.n_days, s.n_active_days, s.mean_daily, s.max_abs_daily
),

cumulative AS (
    SELECT
        cell_id,
        day,
        sum(daily_pnl) OVER (PARTITION BY cell_id ORDER BY day ROWS UNBOUNDED PRECEDING) AS cum_pnl
    FROM daily
),

-- The running peak starts from 0 before the first day.
drawdowns AS (
    SELECT cell_id, max(running_peak - cum_pnl) AS max_drawdown
    FROM (
        SELECT
            cell_id,
            cum_pnl,
            greatest(
                max(cum_pnl) OVER (PARTITION BY cell_id ORDER BY day ROWS UNBOUNDED PRECEDING), 0
            ) AS running_peak
        FROM cumulative
    )
    GROUP BY cell_id
)

SELECT
    g.cell_id,
    coalesce(c.n, 0) AS n,
    coalesce(c.n_unresolved, 0) AS n_unresolved,
    coalesce(s.total_pnl, 0.0) AS total_pnl,
    coalesce(s.weighted_pnl, 0.0) AS weighted_pnl,
    s.mean_ret,
    s.win_rate,
    CASE
        -- stdev = 0 up to rounding: equal days such as 0.1, 0.1, 0.1 leave a spread of ~1e-17
        -- around their float mean, which would make a Sharpe of 1e17 instead of null
        WHEN p.n_days >= 2
            AND sqrt(p.sum_sq_dev / (p.n_days - 1)) > 1e-12 * p.max_abs_daily
            THEN p.mean_daily / sqrt(p.sum_sq_dev / (p.n_days - 1)) * sqrt(365)
    END AS sharpe,
    greatest(coalesce(dd.max_drawdown, 0.0), 0.0) AS max_drawdown
FROM grid_cells AS g
LEFT JOIN counts AS c USING (cell_id)
LEFT JOIN sums AS s USING (cell_id)
LEFT JOIN spread AS p USING (cell_id)
LEFT JOIN drawdowns AS dd USING (cell_id)
ORDER BY g.cell_id
