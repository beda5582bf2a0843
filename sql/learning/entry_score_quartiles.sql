-- Default inner bucket edges of the sizing grid: quartiles of entry_score over every executed
-- trade, open ones included (SPEC §9).
-- reads: run_decisions
SELECT quantile_cont(entry_score, [0.25, 0.5, 0.75]) AS edges
FROM run_decisions
WHERE kind = 'executed'
