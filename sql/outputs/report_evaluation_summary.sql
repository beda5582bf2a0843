-- The out-of-sample verdict per kind and learning policy: what each policy's learned settings
-- earned against the static ones over all periods of the latest walk-forward evaluation, and
-- whether that gain is real (SPEC §16). `learned` (the configured policy) first.
-- reads: latest.evaluation_summary
SELECT
    learned.kind,
    learned.policy,
    learned.n AS learned_n,
    static.n AS static_n,
    learned.weighted_pnl AS learned_weighted_pnl,
    static.weighted_pnl AS static_weighted_pnl,
    learned.gain_weighted_pnl,
    learned.periods_better,
    learned.gain_p_value,
    learned.gain_lo,
    learned.gain_hi,
    learned.verdict
FROM latest.evaluation_summary AS learned
JOIN latest.evaluation_summary AS static
    ON static.kind = learned.kind
   AND static.policy = 'static'
WHERE learned.policy <> 'static'
ORDER BY
    list_position(['weight', 'multiplier', 'timing'], learned.kind),
    learned.kind,
    learned.policy <> 'learned',
    learned.policy
