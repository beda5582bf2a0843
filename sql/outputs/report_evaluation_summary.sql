-- The out-of-sample verdict per kind: what the learned settings earned against the static ones
-- over all periods of the latest walk-forward evaluation (SPEC §16).
-- reads: latest.evaluation_summary
SELECT
    learned.kind,
    learned.n AS learned_n,
    static.n AS static_n,
    learned.weighted_pnl AS learned_weighted_pnl,
    static.weighted_pnl AS static_weighted_pnl,
    learned.gain_weighted_pnl,
    learned.periods_better
FROM latest.evaluation_summary AS learned
JOIN latest.evaluation_summary AS static
    ON static.kind = learned.kind
   AND static.policy = 'static'
WHERE learned.policy = 'learned'
ORDER BY list_position(['weight', 'multiplier', 'timing'], learned.kind), learned.kind
