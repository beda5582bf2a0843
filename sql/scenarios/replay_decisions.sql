-- Decisions replayed at every moment, when the store knows any: those it does not hold yet,
-- and those with an outcome at a known moment that is pending (it may resolve now) or touched
-- by a changed bar (stale_outcomes). Keys are given in ingest order and a loaded decision is
-- never removed, so the store holds every decision up to its greatest key.
-- reads: run_decisions, state.scenario_outcomes, known_moments, run_moments, stale_outcomes
WITH stored_up_to AS (
    SELECT coalesce(max(decision_key), -1) AS decision_key
    FROM state.scenario_outcomes
),

replayed AS (
    SELECT decision_key
    FROM run_decisions
    WHERE decision_key > (SELECT decision_key FROM stored_up_to)

    UNION

    SELECT o.decision_key
    FROM state.scenario_outcomes AS o
    JOIN run_moments AS m
        ON m.entry_delay_min = o.entry_delay_min
        AND m.hold_min = o.hold_min
    SEMI JOIN known_moments AS k USING (moment_id)
    WHERE o.status = 'pending'

    UNION

    SELECT decision_key
    FROM stale_outcomes
)

SELECT decision_key
FROM replayed
WHERE EXISTS (SELECT 1 FROM known_moments)
