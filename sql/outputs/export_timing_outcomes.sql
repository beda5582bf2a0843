-- Per-decision outcomes behind each timing cell, for an export. The scenario cache keeps them
-- for the newest published version only (latest.timing_outcomes): an older version gets none.
-- run_id is the version exported, like every other export file; computed_run is the run that
-- computed the outcome (an unchanged outcome is reused from an earlier run).
-- reads: latest.timing_outcomes, main.runs
SELECT
    CAST($run_id AS BIGINT) AS run_id,
    run_id AS computed_run,
    decision_id,
    kind,
    entry_delay_min,
    hold_min,
    entry_t,
    entry_px,
    exit_t,
    exit_px,
    ret,
    pnl,
    weight,
    status
FROM latest.timing_outcomes
WHERE $run_id = (SELECT max(run_id) FROM main.runs WHERE published)
ORDER BY entry_delay_min, hold_min, decision_id
