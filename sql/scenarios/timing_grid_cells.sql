-- The cells of the timing grid: delays × holds × populations. Cell 0 is the current (possibly
-- fractional) setting; it serves the significance test and is not published.
-- reads: run_cells
SELECT
    c.cell_id * 3 + p.population_idx AS cell_id,
    c.entry_delay_min,
    c.hold_min,
    p.population,
    c.role = 'grid' AS in_grid
FROM run_cells AS c
CROSS JOIN (VALUES ('executed', 0), ('blocked', 1), ('all', 2)) AS p(population, population_idx)
WHERE c.role IN ('grid', 'current')
