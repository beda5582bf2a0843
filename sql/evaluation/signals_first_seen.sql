-- The first boundary each signal component is seen at (SPEC §16: component keys come from the
-- view; one first seen later starts at its initial weight).
-- reads: run_decisions, eval_decisions
SELECT signal, min(k_known) AS k
FROM (
    SELECT unnest(map_keys(d.components)) AS signal, e.k_known
    FROM run_decisions AS d
    JOIN eval_decisions AS e USING (decision_key)
    WHERE e.k_known IS NOT NULL
)
GROUP BY signal
