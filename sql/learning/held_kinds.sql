-- SPEC §19: the kinds whose learning the newest successful walk-forward evaluation of these
-- settings ($config) found to hurt out of sample (the configured policy's rows), with the
-- figures their note gives.
-- reads: main.evaluations, history.evaluation_summary
SELECT
    s.kind,
    s.evaluation_id,
    s.gain_weighted_pnl AS gain,
    s.gain_p_value AS p_value
FROM history.evaluation_summary AS s
WHERE s.policy = 'learned'
    AND s.verdict = 'hurt'
    AND s.evaluation_id = (
        SELECT max(evaluation_id) FROM main.evaluations
        WHERE status = 'success' AND config = $config
    )
ORDER BY s.kind
