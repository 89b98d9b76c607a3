-- metric: indexes
-- about: every index on a user table: key columns in order, expressions, predicate, INCLUDE columns,
-- about: access method, opclasses, validity, the constraint it backs, usage counters and size
-- privileges: none
-- order: 21
WITH locked AS (
  SELECT DISTINCT relation FROM pg_locks
  WHERE mode = 'AccessExclusiveLock' AND granted AND relation IS NOT NULL
    AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
)
SELECT i.indexrelid::bigint AS indexrelid,
       i.indrelid::bigint AS relid,
       n.nspname AS schema,
       t.relname AS "table",
       c.relname AS "index",
       am.amname AS method,
       i.indisunique AS is_unique,
       i.indisprimary AS is_primary,
       i.indisexclusion AS is_exclusion,
       i.indisvalid AS is_valid,
       i.indisready AS is_ready,
       i.indisreplident AS is_replica_identity,
       i.indnkeyatts::int AS n_key_columns,
       -- one entry per key column: the attribute name, or NULL for an expression
       ARRAY(SELECT a.attname::text
               FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
               LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum AND k.attnum > 0
              WHERE k.ord <= i.indnkeyatts ORDER BY k.ord) AS columns,
       -- the same positions as pg_get_indexdef prints them (expressions included)
       ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true)
               FROM generate_series(1, i.indnkeyatts) AS k ORDER BY k) AS keys,
       ARRAY(SELECT a.attname::text
               FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
              WHERE k.ord > i.indnkeyatts ORDER BY k.ord) AS include_columns,
       ARRAY(SELECT o.opcname::text FROM unnest(i.indclass::oid[]) WITH ORDINALITY AS x(oid, ord)
               JOIN pg_opclass o ON o.oid = x.oid ORDER BY x.ord) AS opclasses,
       ARRAY(SELECT (x.opt & 1) = 1 FROM unnest(i.indoption::int2[]) WITH ORDINALITY AS x(opt, ord)
              ORDER BY x.ord) AS descending,
       i.indcollation::text AS collations,
       pg_get_expr(i.indexprs, i.indrelid, true) AS expressions,
       pg_get_expr(i.indpred, i.indrelid, true) AS predicate,
       pg_get_indexdef(i.indexrelid) AS definition,
       con.conname AS constraint_name,
       con.contype::text AS constraint_type,
       coalesce(s.idx_scan, 0)::bigint AS idx_scan,
       coalesce(s.idx_tup_read, 0)::bigint AS idx_tup_read,
       coalesce(s.idx_tup_fetch, 0)::bigint AS idx_tup_fetch,
       (to_jsonb(s) ->> 'last_idx_scan')::timestamptz AS last_idx_scan,
       coalesce(io.idx_blks_read, 0)::bigint AS idx_blks_read,
       coalesce(io.idx_blks_hit, 0)::bigint AS idx_blks_hit,
       CASE WHEN l.relation IS NULL THEN pg_relation_size(i.indexrelid) END::bigint AS index_bytes,
       c.relpages::bigint AS relpages,
       c.reltuples::float8 AS reltuples,
       t.relkind::text AS table_relkind
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_class t ON t.oid = i.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
JOIN pg_am am ON am.oid = c.relam
LEFT JOIN pg_stat_user_indexes s ON s.indexrelid = i.indexrelid
LEFT JOIN pg_statio_user_indexes io ON io.indexrelid = i.indexrelid
LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.contype IN ('p', 'u', 'x')
     AND con.conrelid = i.indrelid
LEFT JOIN locked l ON l.relation = i.indrelid
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname NOT LIKE 'pg_temp%' AND n.nspname NOT LIKE 'pg_toast_temp%'
  AND t.relkind IN ('r', 'm', 'p')
ORDER BY n.nspname, t.relname, c.relname
