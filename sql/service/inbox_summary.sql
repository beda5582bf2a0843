-- The inbox ledger in brief: files per kind and verdict.
-- reads: raw.inbox_files
select
    kind,
    status,
    count(*) as files,
    sum(accepted) as accepted,
    sum(rejected) as rejected,
    max(seen_at) as last_seen_at
from raw.inbox_files
group by kind, status
order by kind, status
