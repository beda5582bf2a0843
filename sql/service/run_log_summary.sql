-- The run log as /health reports it: one row with the counts, the newest finished run, the
-- newest success and the newest published version. A run abandoned on a stop request
-- (status 'aborted') is neither a success nor an error; an `unchanged` run (nothing new to
-- learn from, SPEC §14) is a success.
-- reads: runs
with counts as (
    select
        count(*) filter (where status in ('success', 'unchanged')) as success_count,
        count(*) filter (where status in ('partial', 'failed')) as error_count,
        count(*) filter (where status = 'aborted') as aborted_count
    from runs
),

last_run as (
    select run_id, status, finished_at, error
    from runs
    where status <> 'running'
    order by run_id desc
    limit 1
),

last_success as (
    select run_id, finished_at
    from runs
    where status in ('success', 'unchanged')
    order by run_id desc
    limit 1
),

last_serve_config as (
    select config
    from runs
    where trigger = 'serve'
    order by run_id desc
    limit 1
)

select
    counts.success_count,
    counts.error_count,
    counts.aborted_count,
    last_run.run_id as last_run_id,
    last_run.status as last_run_status,
    last_run.finished_at as last_run_at,
    last_run.error as last_run_error,
    last_success.run_id as last_success_run_id,
    last_success.finished_at as last_success_at,
    (select max(run_id) from runs where published) as published_run_id,
    try_cast(json_extract(last_serve_config.config, '$.interval_min') as double)
        as serve_interval_min
from counts
left join last_run on true
left join last_success on true
left join last_serve_config on true
