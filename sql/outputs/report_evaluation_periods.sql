-- Each period of the latest walk-forward evaluation, per learning policy: its gain over static
-- (its weighted P&L minus static's; a period without outcomes counts 0, as in SPEC §16's test)
-- and the gain summed up to and including it, which ends at the policy's gain_weighted_pnl.
-- reads: latest.evaluation_periods
WITH gains AS (
    SELECT
        p.kind,
        p.policy,
        p.boundary,
        coalesce(p.weighted_pnl, 0) - coalesce(s.weighted_pnl, 0) AS gain
    FROM latest.evaluation_periods AS p
    JOIN latest.evaluation_periods AS s
        ON s.kind = p.kind
        AND s.boundary = p.boundary
        AND s.policy = 'static'
    WHERE p.policy <> 'static'
)

SELECT
    kind,
    policy,
    boundary,
    gain,
    sum(gain) OVER (PARTITION BY kind, policy ORDER BY boundary) AS cumulative_gain
FROM gains
ORDER BY kind, policy, boundary
