-- The learned settings of a component that failed or did not run stay as they were:
-- before = after = the previous version's after, nothing applied.
-- reads: history.learned_state
INSERT INTO history.learned_state BY NAME
SELECT
    * REPLACE (
        CAST($run_id AS BIGINT) AS run_id,
        after AS before,
        NULL AS best,
        false AS applied,
        NULL AS significant,
        NULL AS gain,
        NULL AS gain_lo,
        NULL AS gain_hi,
        'carried forward: ' || $component || ' was not computed in this run' AS note
    )
FROM history.learned_state
WHERE run_id = $previous
    AND kind = $kind
