-- Each period of the latest walk-forward evaluation with the weighted P&L each policy has
-- earned out of sample up to and including it (a period without outcomes adds nothing).
-- reads: latest.evaluation_periods
SELECT
    kind,
    policy,
    boundary,
    n,
    weighted_pnl,
    sum(coalesce(weighted_pnl, 0)) OVER (
        PARTITION BY kind, policy
        ORDER BY boundary
    ) AS cumulative_weighted_pnl
FROM latest.evaluation_periods
ORDER BY kind, policy, boundary
