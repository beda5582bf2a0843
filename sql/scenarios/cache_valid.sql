-- Stored outcomes this run can reuse (a view: the store is read where it lies, never copied):
-- same settings ($inputs_key), a moment this run needs, and a decision not replayed this run.
-- A decision is replayed when any of its outcomes is pending (it may resolve now) or stale
-- (stale_outcomes), or when it is new (analytics/scenarios/store.py). Loaded decisions are
-- never removed, so every stored decision is still loaded.
CREATE OR REPLACE TEMP VIEW cache_valid AS
SELECT o.*
FROM stored_outcomes AS o
ANTI JOIN replay_decisions AS r
    USING (decision_idx);
