-- One line per published run, for tools that read the old comprehensive_learning.jsonl log:
-- what the run learned (before -> best -> after) and what its blocked trades would have done.
-- reads: main.runs, history.learned_state, history.counterfactual_days
WITH published AS (
    SELECT
        run_id,
        started_at,
        finished_at,
        status,
        trigger,
        json_extract_string(config, '$.objective') AS objective
    FROM main.runs
    WHERE published
),
settings AS (
    -- one JSON object per run and kind, keyed by setting name, in the old log's field names
    SELECT
        run_id,
        kind,
        json_group_object(name, CASE kind
            WHEN 'weight' THEN json_object(
                'before', before, 'best_variation', best, 'after', after, 'n', n,
                'significant', significant, 'applied', applied, 'note', note)
            WHEN 'multiplier' THEN json_object(
                'score_lo', score_lo, 'score_hi', score_hi, 'before', before, 'best', best,
                'after', after, 'n', n, 'significant', significant, 'applied', applied,
                'note', note)
            ELSE json_object(
                'before', before, 'best', best, 'after', after, 'n', n,
                'significant', significant, 'applied', applied, 'note', note)
        END) AS settings
    FROM history.learned_state
    GROUP BY run_id, kind
),
blocked AS (
    SELECT
        run_id,
        sum(blocked_trades) AS blocked_trades,
        sum(missed) AS missed_opportunities,
        sum(avoided) AS avoided_losses,
        sum(flat) AS flat,
        sum(unresolved) AS unresolved,
        sum(missed_pnl) AS missed_pnl,
        sum(avoided_pnl) AS avoided_pnl
    FROM history.counterfactual_days
    GROUP BY run_id
)
SELECT
    p.run_id,
    strftime(p.started_at, '%Y-%m-%dT%H:%M:%S.%fZ') AS started_at,
    strftime(p.finished_at, '%Y-%m-%dT%H:%M:%S.%fZ') AS finished_at,
    p.status,
    p.trigger,
    p.objective,
    coalesce(w.settings, '{}'::JSON) AS weights,
    coalesce(m.settings, '{}'::JSON) AS multipliers,
    coalesce(t.settings, '{}'::JSON) AS timing,
    {
        'blocked_trades': coalesce(b.blocked_trades, 0),
        'missed_opportunities': coalesce(b.missed_opportunities, 0),
        'avoided_losses': coalesce(b.avoided_losses, 0),
        'flat': coalesce(b.flat, 0),
        'unresolved': coalesce(b.unresolved, 0),
        'missed_pnl': coalesce(b.missed_pnl, 0.0),
        'avoided_pnl': coalesce(b.avoided_pnl, 0.0)
    } AS counterfactuals
FROM published AS p
LEFT JOIN settings AS w ON w.run_id = p.run_id AND w.kind = 'weight'
LEFT JOIN settings AS m ON m.run_id = p.run_id AND m.kind = 'multiplier'
LEFT JOIN settings AS t ON t.run_id = p.run_id AND t.kind = 'timing'
LEFT JOIN blocked AS b ON b.run_id = p.run_id
ORDER BY p.run_id
