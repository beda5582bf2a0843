-- Per component: how it did in the newest run that got as far as recording its components,
-- its newest fresh (ok) output, and whether the newest published version has its output
-- (computed, or carried forward from an earlier version).
-- reads: run_components, runs
with newest as (
    select max(run_id) as run_id
    from run_components
),

published as (
    select max(run_id) as run_id
    from runs
    where published
),

last_ok as (
    select
        component,
        max(run_id) as last_ok_run_id
    from run_components
    where status = 'ok'
    group by component
)

select
    c.component,
    c.run_id,
    c.status,
    c.attempts,
    c.seconds,
    c.rows,
    c.carried_from,
    c.error,
    last_ok.last_ok_run_id,
    coalesce(p.status in ('ok', 'carried') or p.carried_from is not null, false) as available
from run_components as c
join newest on c.run_id = newest.run_id
left join last_ok on last_ok.component = c.component
left join run_components as p
    on p.component = c.component
   and p.run_id = (select run_id from published)
order by c.component
