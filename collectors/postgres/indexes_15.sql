-- metric: indexes
-- about: every index on a user table: key columns in order, expressions, predicate, INCLUDE columns,
-- about: access method, opclasses, validity, the constraint it backs, usage counters and size (exact for
-- about: the 2,000 largest indexes, relpages-based for the others: size_exact)
-- privileges: none
-- order: 21
-- sort: schema, table, index
-- min_server: 150000
-- max_server: 159999
--
-- Scale: the pg_stat_user_indexes / pg_statio_user_indexes views are not used (their joins, planned
-- with stale catalog statistics, are what turns quadratic); one scan of pg_index with the
-- pg_stat_get_* functions they call and probes by key stays linear in the number of indexes.
WITH idx AS (
  -- one scan of pg_index; the index, its table, schema, access method and constraint by key (LATERAL
  -- with OFFSET 0 and scalar subqueries are probes, never joins planned from the catalog's statistics)
  SELECT i.*,
         c.relname AS index_name,
         c.relpages AS index_pages,
         c.reltuples AS index_tuples,
         c.relam,
         c.reloptions AS index_reloptions,
         t.relname AS table_name,
         t.relkind AS table_relkind,
         t.schema,
         greatest(1.0, pg_stat_get_live_tuples(i.indrelid)
                        / greatest(c.reltuples, 1)::float8) AS growth
  FROM pg_index i
  CROSS JOIN LATERAL (SELECT c.relname, c.relpages, c.reltuples, c.relam, c.reloptions
                      FROM pg_class c WHERE c.oid = i.indexrelid OFFSET 0) c
  CROSS JOIN LATERAL (SELECT t.relname, t.relkind,
                             (SELECT n.nspname FROM pg_namespace n WHERE n.oid = t.relnamespace) AS schema
                      FROM pg_class t WHERE t.oid = i.indrelid OFFSET 0) t
  WHERE t.relkind IN ('r', 'm', 'p')
    AND t.schema NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
    AND t.schema NOT LIKE 'pg_temp%' AND t.schema NOT LIKE 'pg_toast_temp%'
), ranked AS (
  SELECT x.*,
         -- the 2,000 largest indexes by relpages (pages at the last VACUUM, ANALYZE or CREATE INDEX,
         -- grown by the table's rows counted since) get exact sizes: pg_relation_size opens the
         -- index's files; all of them on a catalog of up to 2,000 indexes
         row_number() OVER (ORDER BY x.index_pages * x.growth DESC, x.indexrelid) <= 2000 AS size_exact,
         -- an index whose table another session holds an ACCESS EXCLUSIVE lock on is not opened
         x.indrelid IN (SELECT l.relation FROM pg_locks l
                        WHERE l.mode = 'AccessExclusiveLock' AND l.granted AND l.relation IS NOT NULL
                          AND l.database = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database()))
           AS locked_exclusive
  FROM idx x
)
SELECT i.indexrelid::bigint AS indexrelid,
       i.indrelid::bigint AS relid,
       i.schema,
       i.table_name AS "table",
       i.index_name AS "index",
       am.amname AS method,
       i.indisunique AS is_unique,
       i.indisprimary AS is_primary,
       i.indisexclusion AS is_exclusion,
       i.indisvalid AS is_valid,
       i.indisready AS is_ready,
       i.indisreplident AS is_replica_identity,
       i.indnkeyatts::int AS n_key_columns,
       k.columns,
       -- the same positions as pg_get_indexdef prints them (expressions included); a plain column is
       -- printed as its quoted name, so pg_get_indexdef is only called for indexes with expressions
       CASE WHEN i.indexprs IS NULL THEN k.quoted_keys
            ELSE ARRAY(SELECT pg_get_indexdef(i.indexrelid, n, true)
                         FROM generate_series(1, i.indnkeyatts) AS n ORDER BY n) END AS keys,
       coalesce(k.include_columns, '{}') AS include_columns,
       k.opclasses,
       k.descending,
       i.indcollation::text AS collations,
       pg_get_expr(i.indexprs, i.indrelid, true) AS expressions,
       pg_get_expr(i.indpred, i.indrelid, true) AS predicate,
       -- a plain index (columns only, default operator classes and collations, no options, predicate or
       -- NULLS NOT DISTINCT) is written here exactly as pg_get_indexdef prints it: that function costs
       -- 40 us an index, half of this query on a large catalog; it still writes every other index
       CASE WHEN k.plain AND i.indexprs IS NULL AND i.indpred IS NULL AND i.index_reloptions IS NULL
                 AND i.table_relkind <> 'p' AND NOT i.indnullsnotdistinct
            THEN 'CREATE ' || CASE WHEN i.indisunique THEN 'UNIQUE ' ELSE '' END || 'INDEX '
                 || quote_ident(i.index_name) || ' ON ' || quote_ident(i.schema) || '.' || quote_ident(i.table_name)
                 || ' USING ' || quote_ident(am.amname) || ' (' || array_to_string(k.quoted_keys, ', ') || ')'
                 || coalesce(' INCLUDE (' || array_to_string(k.quoted_include, ', ') || ')', '')
            ELSE pg_get_indexdef(i.indexrelid) END AS definition,
       con.conname AS constraint_name,
       con.contype::text AS constraint_type,
       pg_stat_get_numscans(i.indexrelid)::bigint AS idx_scan,
       pg_stat_get_tuples_returned(i.indexrelid)::bigint AS idx_tup_read,
       pg_stat_get_tuples_fetched(i.indexrelid)::bigint AS idx_tup_fetch,
       NULL::timestamptz AS last_idx_scan,
       (pg_stat_get_blocks_fetched(i.indexrelid) - pg_stat_get_blocks_hit(i.indexrelid))::bigint AS idx_blks_read,
       pg_stat_get_blocks_hit(i.indexrelid)::bigint AS idx_blks_hit,
       CASE WHEN i.locked_exclusive THEN NULL
            WHEN i.size_exact THEN pg_relation_size(i.indexrelid)
            ELSE round(i.index_pages * i.growth * current_setting('block_size')::float8) END::bigint AS index_bytes,
       i.index_pages::bigint AS relpages,
       i.index_tuples::float8 AS reltuples,
       i.table_relkind::text AS table_relkind,
       i.size_exact AND NOT i.locked_exclusive AS size_exact
FROM ranked i
-- operator class names (and the default ones by input type) in one JSON object built once (a probe of
-- pg_opclass per key column cost a quarter of this query on 30,000 indexes)
CROSS JOIN (SELECT jsonb_object_agg(o.oid::text, o.opcname) AS names,
                   jsonb_object_agg(o.oid::text, o.opcintype::text) FILTER (WHERE o.opcdefault) AS defaults
            FROM pg_opclass o) opc
CROSS JOIN LATERAL (SELECT am.amname FROM pg_am am WHERE am.oid = i.relam OFFSET 0) am
-- every per-column array from one pass over the index's columns (a probe of pg_attribute each)
CROSS JOIN LATERAL (
  SELECT array_agg(a.attname::text ORDER BY k.ord) FILTER (WHERE k.ord <= i.indnkeyatts) AS columns,
         array_agg(quote_ident(a.attname) ORDER BY k.ord) FILTER (WHERE k.ord <= i.indnkeyatts) AS quoted_keys,
         array_agg(a.attname::text ORDER BY k.ord) FILTER (WHERE k.ord > i.indnkeyatts) AS include_columns,
         array_agg(quote_ident(a.attname) ORDER BY k.ord) FILTER (WHERE k.ord > i.indnkeyatts) AS quoted_include,
         array_agg(opc.names ->> k.cls::text ORDER BY k.ord) FILTER (WHERE k.ord <= i.indnkeyatts) AS opclasses,
         array_agg((k.opt & 1) = 1 ORDER BY k.ord) FILTER (WHERE k.ord <= i.indnkeyatts) AS descending,
         bool_and(k.ord > i.indnkeyatts
                  OR (k.opt = 0 AND k.attnum > 0 AND k.coll IN (0, a.attcollation)
                      AND opc.defaults ->> k.cls::text = a.atttypid::text)) AS plain
  FROM unnest(i.indkey::int2[], i.indclass::oid[], i.indcollation::oid[], i.indoption::int2[])
       WITH ORDINALITY AS k(attnum, cls, coll, opt, ord)
  LEFT JOIN LATERAL (SELECT a.attname, a.atttypid, a.attcollation FROM pg_attribute a
                     WHERE a.attrelid = i.indrelid AND a.attnum = k.attnum OFFSET 0) a ON true
) k
LEFT JOIN LATERAL (SELECT con.conname, con.contype FROM pg_constraint con
                   WHERE con.conrelid = i.indrelid AND con.conindid = i.indexrelid AND con.contype IN ('p', 'u', 'x')
                   LIMIT 1) con ON true
-- (sorted by dbxray: '-- sort:' above; the server's sort of every wide row cost a quarter of the query)
