-- Every period's timing outcomes at each moment of eval_event_moments (SPEC §16: how a state
-- whose (delay, hold) is that moment scores on the period): every decision of the period, its
-- §4 outcome at the moment. Summed once per moment, whichever boundaries' states use it.
-- Cell = period · 1e6 + moment_id.
-- reads: eval_event_outcomes, eval_event_moments, eval_period_decisions
WITH outcomes AS (
    SELECT
        CAST(p.period AS BIGINT) * 1000000 + o.moment_id AS cell_id,
        o.status, o.pnl, o.ret, o.weight, o.exit_t, o.decision_key, 1 AS sign
    FROM eval_event_outcomes AS o
    SEMI JOIN eval_event_moments AS m USING (moment_id)
    JOIN eval_period_decisions AS p USING (decision_key)
)

SELECT *
FROM cell_days('outcomes')
