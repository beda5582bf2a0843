-- The signal components a weight grid varies: the sorted union of component keys over every
-- loaded decision (SPEC §8).
-- reads: run_decisions
SELECT DISTINCT unnest(map_keys(components)) AS signal
FROM run_decisions
ORDER BY signal
