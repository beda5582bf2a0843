-- This run's outcome of every decision at every moment (a view: read by counterfactuals and the
-- timing grid, never copied): reused from the store where still valid, replayed otherwise (see
-- analytics/scenarios/store.py). On DuckDB its reused part reads the store itself, so it is
-- not read once the publishing transaction has begun rewriting the store.
-- reads: cache_valid, run_replayed
SELECT *, false AS recomputed
FROM cache_valid

UNION ALL

SELECT *, true AS recomputed
FROM run_replayed
