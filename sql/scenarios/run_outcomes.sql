-- This run's outcome of every decision at every moment (a view: read by counterfactuals, the
-- timing grid and the store, never copied): reused from the store where still
-- valid, replayed otherwise (see analytics/scenarios/store.py).
CREATE OR REPLACE TEMP VIEW run_outcomes AS
SELECT
    v.decision_idx,
    v.moment_id,
    v.kind,
    v.weight,
    v.entry_t,
    v.entry_px,
    v.exit_t,
    v.exit_px,
    v.status,
    v.ret,
    v.pnl,
    v.entry_bar_at,
    v.exit_bar_at,
    false AS recomputed
FROM cache_valid AS v

UNION ALL

SELECT
    decision_idx,
    cell_id AS moment_id,
    kind,
    weight,
    entry_t,
    entry_px,
    exit_t,
    exit_px,
    status,
    ret,
    pnl,
    entry_bar_at,
    exit_bar_at,
    true AS recomputed
FROM (
    SELECT * FROM replayed_changed
    UNION ALL
    SELECT * FROM replayed_new
);
