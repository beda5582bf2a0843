-- The outcomes this run replayed (a view over its replay tables, never over the store: the
-- store is rewritten from it in the publishing transaction, see save_outcome_store.sql).
-- reads: replayed_changed, replayed_new
SELECT * FROM replayed_changed
UNION ALL
SELECT * FROM replayed_new
