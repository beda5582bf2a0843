-- The book of every sizing cell (SPEC §9): all executed trades with realized outcomes, those in
-- the cell's bucket scaled by its multiplier, the others by their multiplier from before the run.
-- reads: run_decisions, sizing_cells
WITH book AS (
    SELECT
        decision_key,
        len(list_filter($edges, lambda e: e <= entry_score)) AS bucket,
        realized_pnl IS NOT NULL AS resolved,
        realized_pnl AS pnl,
        realized_ret AS ret,
        realized_exit_t AS exit_t
    FROM run_decisions
    WHERE kind = 'executed'
)

SELECT
    c.cell_id,
    b.resolved,
    b.pnl * f.factor AS pnl,
    b.ret * f.factor AS ret,
    1.0 AS weight,
    b.exit_t,
    b.decision_key
FROM book AS b
CROSS JOIN sizing_cells AS c
CROSS JOIN LATERAL (
    SELECT if(b.bucket = c.bucket, c.multiplier, $multipliers_before[b.bucket + 1]) AS factor
) AS f
