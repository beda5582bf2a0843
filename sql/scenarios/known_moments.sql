-- Moments the store holds valid outcomes at: the others are replayed for every decision.
-- reads: stored_outcomes
SELECT DISTINCT moment_id
FROM stored_outcomes
