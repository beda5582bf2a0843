-- Each blocked trade's outcome at delay 0 and the default hold (SPEC §5), from this run's outcomes.
-- reads: run_outcomes, run_moments
SELECT o.*
FROM run_outcomes AS o
JOIN run_moments AS m USING (moment_id)
WHERE m.is_counterfactual
    AND o.kind = 'blocked'
