-- What a version learned: before, best, after of each weight, multiplier and timing setting.
SELECT
    run_id,
    kind,
    name,
    before,
    best,
    after,
    n,
    significant,
    applied,
    gain,
    gain_lo,
    gain_hi,
    score_lo,
    score_hi,
    note
FROM history.learned_state
WHERE run_id = $run_id
ORDER BY kind, name
