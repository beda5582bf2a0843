-- The statistics every learned figure is built from (SPEC §6, §13, §14, §15), as a table
-- macro: cell_days(outcomes) names a relation of outcomes (cell_id, status, pnl, ret, weight,
-- exit_t, decision_key, sign) and returns, per cell, status and UTC exit day (resolved outcomes;
-- null otherwise), counts and exact sums. `sign` is +1 for an outcome added and -1 for one
-- removed, so the statistics of what changed add to the stored ones. Sums are DECIMAL: the same
-- outcomes give the same figures in any order, whether summed at once or changed by pieces.
-- (Each value is cast once, after the sign: Spark narrows the scale of a decimal product.)
-- key_sum and key_pnl are checksums of which decisions contribute what (SPEC §14 evidence).
-- A script: the engine defines it once per run (Spark expands it in place).
-- reads: -
CREATE OR REPLACE TEMP MACRO cell_days(outcomes) AS TABLE
    SELECT
        cell_id,
        status,
        if(status = 'ok', CAST(exit_t AS DATE), NULL) AS day,
        CAST(sum(sign) AS BIGINT) AS n,
        sum(CAST(sign * pnl AS DECIMAL(38, 15))) AS sum_pnl,
        sum(CAST(sign * weight * pnl AS DECIMAL(38, 15))) AS sum_wpnl,
        sum(CAST(sign * ret AS DECIMAL(38, 15))) AS sum_ret,
        CAST(sum(sign * CAST(ret IS NOT NULL AS INTEGER)) AS BIGINT) AS n_ret,
        CAST(sum(sign * CAST(coalesce(pnl > 0, false) AS INTEGER)) AS BIGINT) AS wins,
        CAST(sum(sign * CAST(coalesce(pnl < 0, false) AS INTEGER)) AS BIGINT) AS losses,
        CAST(sum(sign * (decision_key % 9973 + 1)) AS BIGINT) AS key_sum,
        sum(CAST(sign * (decision_key % 9973 + 1) * pnl AS DECIMAL(38, 15))) AS key_pnl
    FROM query_table(outcomes)
    GROUP BY cell_id, status, day;
