-- Stored outcomes this run can reuse (a view: the store is read where it lies, never copied):
-- same settings ($inputs_key), a moment this run needs, a decision still loaded and not
-- replayed this run. A decision is replayed when any of its outcomes is pending (it may
-- resolve now) or stale (stale_outcomes), or when it is new (analytics/scenarios/store.py).
CREATE OR REPLACE TEMP VIEW cache_valid AS
SELECT
    d.decision_idx,
    o.*
FROM stored_outcomes AS o
JOIN run_decisions AS d
    USING (decision_id)
ANTI JOIN replay_decisions AS r
    ON r.decision_idx = d.decision_idx;
