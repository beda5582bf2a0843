-- The §6 metrics (SPEC §6) of every cell of a grid, as a table macro: cell_metrics(cells,
-- outcomes) names a relation of the grid's cells (cell_id) and one of its outcomes (cell_id,
-- resolved, pnl, ret, weight, exit_t). Every cell is returned, empty or not. One pass over the
-- outcomes: per cell and exit day (resolved ones) or in one group (the unresolved), the counts
-- and sums every metric is built from. A script: the engine defines it once per run (Spark
-- expands it in place, with the relations named).
-- reads: -
CREATE OR REPLACE TEMP MACRO cell_metrics(cells, outcomes) AS TABLE
    WITH per_day AS (
        SELECT
            cell_id,
            resolved,
            CASE WHEN resolved THEN CAST(exit_t AS DATE) END AS day,
            count(*) AS n_outcomes,
            sum(pnl) AS total_pnl,
            sum(weight * pnl) AS daily_pnl,
            sum(ret) AS sum_ret,
            count(ret) AS n_ret,
            count(pnl) AS n_pnl,
            count(*) FILTER (WHERE pnl > 0) AS n_wins
        FROM query_table(outcomes)
        GROUP BY ALL
    ),

    counts AS (
        SELECT
            cell_id,
            CAST(coalesce(sum(n_outcomes) FILTER (WHERE resolved), 0) AS BIGINT) AS n,
            CAST(coalesce(sum(n_outcomes) FILTER (WHERE NOT resolved), 0) AS BIGINT) AS n_unresolved
        FROM per_day
        GROUP BY cell_id
    ),

    sums AS (
        SELECT
            cell_id,
            sum(total_pnl) AS total_pnl,
            sum(daily_pnl) AS weighted_pnl,
            sum(sum_ret) / nullif(sum(n_ret), 0) AS mean_ret,
            sum(n_wins) / nullif(sum(n_pnl), 0) AS win_rate
        FROM per_day
        WHERE resolved
        GROUP BY cell_id
    ),

    daily AS (
        SELECT cell_id, day, daily_pnl
        FROM per_day
        WHERE resolved
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
    FROM query_table(cells) AS g
    LEFT JOIN counts AS c USING (cell_id)
    LEFT JOIN sums AS s USING (cell_id)
    LEFT JOIN spread AS p USING (cell_id)
    LEFT JOIN drawdowns AS dd USING (cell_id)
    ORDER BY g.cell_id;
