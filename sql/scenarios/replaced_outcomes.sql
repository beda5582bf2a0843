-- The stored outcomes this run replays again (their values before this run): the statistics
-- kept between runs drop them as the replayed outcomes replace them. A replayed decision is
-- replayed at every moment; moments the store did not know hold none. Empty on a full
-- recompute (nothing is known, nothing replaced).
-- reads: known_outcomes, replay_decisions
SELECT
    o.decision_key,
    o.moment_id,
    o.kind,
    o.weight,
    o.status,
    o.pnl,
    o.ret,
    o.exit_t
FROM known_outcomes AS o
SEMI JOIN replay_decisions AS r
    ON r.decision_key = o.decision_key
