-- The learned settings of a component that failed or did not run stay as they were:
-- before = after = the previous version's after, nothing applied, nothing tested.
-- reads: latest.learned_state
SELECT
    * EXCLUDE (run_id) REPLACE (
        after AS before,
        CAST(NULL AS DOUBLE) AS best,
        false AS applied,
        CAST(NULL AS BOOLEAN) AS significant,
        CAST(NULL AS DOUBLE) AS p_value,
        CAST(NULL AS DOUBLE) AS gain,
        CAST(NULL AS DOUBLE) AS gain_lo,
        CAST(NULL AS DOUBLE) AS gain_hi,
        'carried forward: ' || $component || ' was not computed in this run' AS note
    )
FROM latest.learned_state
WHERE kind = $kind
