-- Moments the store holds outcomes at: those it was saved with (state.scenario_cells) that this
-- run needs, under the same settings. A save writes every decision at every one of them, so
-- each stored decision has an outcome at each known moment; the other moments are replayed for
-- every decision. None on a full recompute (run_inputs_key '' matches no saved key).
-- reads: run_moments, state.scenario_cells, state.scenario_watermark, run_inputs_key
SELECT m.moment_id
FROM run_moments AS m
SEMI JOIN state.scenario_cells AS c
    ON c.entry_delay_min = m.entry_delay_min
    AND c.hold_min = m.hold_min
WHERE (SELECT inputs_key FROM run_inputs_key) IN (
    SELECT inputs_key FROM state.scenario_watermark
)
