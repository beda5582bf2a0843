-- What a version learned: before, best, after of each weight, multiplier and timing setting.
-- reads: history.learned_state
SELECT *
FROM history.learned_state
WHERE run_id = $run_id
ORDER BY kind, name
