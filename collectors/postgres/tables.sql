-- metric: tables
-- about: user tables with scan, churn, vacuum/analyze and I/O counters, sizes and storage options
-- privileges: none; sizes are skipped for tables another session holds an ACCESS EXCLUSIVE lock on
-- order: 20
WITH locked AS (
  SELECT DISTINCT relation FROM pg_locks
  WHERE mode = 'AccessExclusiveLock' AND granted AND relation IS NOT NULL
    AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
)
SELECT s.relid::bigint AS relid,
       s.schemaname AS schema,
       s.relname AS "table",
       c.relkind::text AS relkind,
       c.relpersistence::text AS persistence,
       c.relispartition AS is_partition,
       c.reltuples::float8 AS reltuples,
       c.relpages::bigint AS relpages,
       s.n_live_tup::bigint AS n_live_tup,
       s.n_dead_tup::bigint AS n_dead_tup,
       s.n_mod_since_analyze::bigint AS n_mod_since_analyze,
       (to_jsonb(s) ->> 'n_ins_since_vacuum')::bigint AS n_ins_since_vacuum,
       s.seq_scan::bigint AS seq_scan,
       s.seq_tup_read::bigint AS seq_tup_read,
       coalesce(s.idx_scan, 0)::bigint AS idx_scan,
       coalesce(s.idx_tup_fetch, 0)::bigint AS idx_tup_fetch,
       (to_jsonb(s) ->> 'last_seq_scan')::timestamptz AS last_seq_scan,
       s.n_tup_ins::bigint AS n_tup_ins,
       s.n_tup_upd::bigint AS n_tup_upd,
       s.n_tup_del::bigint AS n_tup_del,
       s.n_tup_hot_upd::bigint AS n_tup_hot_upd,
       s.last_vacuum, s.last_autovacuum, s.last_analyze, s.last_autoanalyze,
       s.vacuum_count::bigint AS vacuum_count,
       s.autovacuum_count::bigint AS autovacuum_count,
       s.analyze_count::bigint AS analyze_count,
       s.autoanalyze_count::bigint AS autoanalyze_count,
       coalesce(io.heap_blks_read, 0)::bigint AS heap_blks_read,
       coalesce(io.heap_blks_hit, 0)::bigint AS heap_blks_hit,
       coalesce(io.idx_blks_read, 0)::bigint AS idx_blks_read,
       coalesce(io.idx_blks_hit, 0)::bigint AS idx_blks_hit,
       CASE WHEN l.relation IS NULL THEN pg_table_size(c.oid) END::bigint AS table_bytes,
       CASE WHEN l.relation IS NULL THEN pg_indexes_size(c.oid) END::bigint AS index_bytes,
       CASE WHEN l.relation IS NULL THEN pg_total_relation_size(c.oid) END::bigint AS total_bytes,
       l.relation IS NOT NULL AS locked_exclusive,
       coalesce(array_to_string(c.reloptions, ','), '') AS reloptions,
       EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary) AS has_primary_key,
       EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisunique AND i.indisvalid
                 AND i.indpred IS NULL AND i.indexprs IS NULL) AS has_unique_key,
       c.relreplident::text AS replica_identity,
       has_table_privilege(c.oid, 'SELECT') AS can_select
FROM pg_stat_user_tables s
JOIN pg_class c ON c.oid = s.relid
LEFT JOIN pg_statio_user_tables io ON io.relid = s.relid
LEFT JOIN locked l ON l.relation = c.oid
ORDER BY s.schemaname, s.relname
