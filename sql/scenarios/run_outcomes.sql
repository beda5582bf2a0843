-- This run's outcome of every decision at every moment (a view: read by counterfactuals and the
-- timing grid, never copied): reused from the store where still valid, replayed otherwise (see
-- analytics/scenarios/store.py). On DuckDB its reused part reads the store itself, so it is
-- not read once the publishing transaction has begun rewriting the store.
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

SELECT *, true AS recomputed
FROM run_replayed;
