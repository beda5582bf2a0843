-- The newest quarantined inbox files with their reasons, for /health.
-- reads: raw.inbox_files
select
    path,
    kind,
    reason,
    seen_at
from raw.inbox_files
where status = 'quarantined'
order by seen_at desc, path
limit $limit
