-- What the learning loop set at each boundary of the latest walk-forward evaluation: the path
-- of every learned weight, multiplier and timing setting (S_k) of the configured policy, with
-- why it moved or not.
-- reads: latest.evaluation_steps
SELECT
    kind,
    name,
    boundary,
    before,
    after,
    applied,
    p_value,
    note
FROM latest.evaluation_steps
WHERE policy = 'learned'
ORDER BY kind, try_cast(name AS INTEGER), name, boundary
