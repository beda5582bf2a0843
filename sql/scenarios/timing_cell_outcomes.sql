-- Feed the §6 metrics: each timing outcome counts in its own population and in `all` (SPEC §7).
-- reads: timing_outcomes
SELECT
    o.cell_id * 3 + p.population_idx AS cell_id,
    o.status = 'ok' AS resolved,
    o.pnl,
    o.ret,
    o.weight,
    o.exit_t,
    o.decision_key
FROM timing_outcomes AS o
JOIN (VALUES ('executed', 0), ('blocked', 1), ('all', 2)) AS p(population, population_idx)
    ON p.population IN (o.kind, 'all')
