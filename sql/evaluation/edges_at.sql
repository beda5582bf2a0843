-- The sizing grid's default edges on the data known at $t: entry_score quartiles of every
-- executed trade decided by then, open ones included (SPEC §9, §16).
-- reads: run_decisions
SELECT quantile_cont(entry_score, [0.25, 0.5, 0.75]) AS edges
FROM run_decisions
WHERE kind = 'executed'
    AND ts <= $t
