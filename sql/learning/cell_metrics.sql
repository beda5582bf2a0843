-- SPEC §6 metrics of every cell of a grid: $cells names the relation of its cells, $outcomes
-- that of its outcomes (see the cell_metrics macro in learning/macros.sql).
-- reads: -
SELECT *
FROM cell_metrics($cells, $outcomes)
