-- What a version learned, for the report: one row per weight, multiplier and timing setting,
-- with the reality check's figures (SPEC §13) and the note saying why it moved or not.
-- reads: history.learned_state
SELECT
    kind,
    name,
    before,
    best,
    after,
    n,
    significant,
    applied,
    p_value,
    gain,
    gain_lo,
    gain_hi,
    score_lo,
    score_hi,
    note
FROM history.learned_state
WHERE run_id = $run_id
ORDER BY kind, try_cast(name AS INTEGER), name
