-- Per-decision outcomes of the timing grid kept with the version ("which trades drove this
-- cell"); scenario cell 0, the current setting, serves only the significance test.
SELECT
    d.decision_id,
    o.kind,
    o.entry_delay_min,
    o.hold_min,
    o.entry_t,
    o.entry_px,
    o.exit_t,
    o.exit_px,
    o.ret,
    o.pnl,
    o.weight,
    o.status
FROM timing_outcomes AS o
JOIN run_decisions AS d USING (decision_idx)
WHERE o.cell_id <> 0
