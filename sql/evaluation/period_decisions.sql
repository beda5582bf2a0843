-- The period each decision is scored in (SPEC §16): period k holds the decisions with ts in
-- (t_k, t_(k+1)] (the last one: after t_K, up to $end_at, 'infinity' without --end); a
-- decision known by t_0 is in none.
-- reads: run_decisions, eval_decisions
SELECT d.decision_key, coalesce(e.k_known - 1, $last_period) AS period
FROM run_decisions AS d
JOIN eval_decisions AS e USING (decision_key)
WHERE (e.k_known IS NULL OR e.k_known >= 1)
    AND d.ts <= CAST($end_at AS TIMESTAMP)
