-- metric: tables
-- min_server: 160000
-- about: user tables with scan, churn, vacuum/analyze and I/O counters, sizes and storage options;
-- about: exact sizes for the 1,000 largest tables, relpages-based estimates for the others (size_exact)
-- privileges: none; sizes are skipped for tables another session holds an ACCESS EXCLUSIVE lock on
-- order: 20
--
-- Scale: the pg_stat_user_tables / pg_statio_user_tables views are not used. Their joins and GROUP BY,
-- joined again to pg_class, are planned with the catalog's own statistics, which are stale after a
-- schema is created in bulk. One scan of pg_class with the pg_stat_get_* functions (what the views
-- call) and per-table probes by key stays linear in the number of tables whatever those say.
WITH rel AS (
  -- one scan of pg_class; everything else per table by key (a scalar subquery or a LATERAL
  -- aggregate is a probe, never a join the planner could turn into a loop over a whole catalog)
  SELECT c.oid,
         c.relname,
         c.relkind,
         c.relpersistence,
         c.relispartition,
         c.reltuples,
         c.relpages,
         c.reloptions,
         c.relreplident,
         (SELECT n.nspname FROM pg_namespace n WHERE n.oid = c.relnamespace) AS schema,
         coalesce((SELECT t.relpages FROM pg_class t WHERE t.oid = c.reltoastrelid), 0)
           + coalesce((SELECT sum((SELECT tic.relpages FROM pg_class tic WHERE tic.oid = ti.indexrelid))
                       FROM pg_index ti WHERE ti.indrelid = c.reltoastrelid), 0) AS toast_pages,
         ix.*
  FROM pg_class c
  LEFT JOIN LATERAL (
    SELECT sum(pg_stat_get_numscans(i.indexrelid))::bigint AS idx_scan_sum,
           sum(pg_stat_get_tuples_fetched(i.indexrelid))::bigint AS idx_tup_fetch_sum,
           sum(pg_stat_get_blocks_fetched(i.indexrelid) - pg_stat_get_blocks_hit(i.indexrelid))::bigint
             AS idx_blks_read_sum,
           sum(pg_stat_get_blocks_hit(i.indexrelid))::bigint AS idx_blks_hit_sum,
           sum((SELECT ic.relpages FROM pg_class ic WHERE ic.oid = i.indexrelid))::bigint AS index_pages,
           bool_or(i.indisprimary) AS has_pk,
           bool_or(i.indisunique AND i.indisvalid AND i.indpred IS NULL AND i.indexprs IS NULL) AS has_uk
    FROM pg_index i
    WHERE i.indrelid = c.oid
  ) ix ON true
  WHERE c.relkind IN ('r', 't', 'm', 'p')
), usr AS (
  SELECT r.*,
         -- sizes from relpages (pages at the last VACUUM, ANALYZE or CREATE INDEX), grown by the rows
         -- counted since (live + dead over reltuples; 100 bytes a row for a table never measured):
         -- they rank the tables for exact sizes and stand in for the others
         greatest(1.0, (pg_stat_get_live_tuples(r.oid) + pg_stat_get_dead_tuples(r.oid))
                        / greatest(r.reltuples, 1)::float8) AS growth,
         CASE WHEN r.relpages = 0
              THEN (pg_stat_get_live_tuples(r.oid) + pg_stat_get_dead_tuples(r.oid)) * 100.0 ELSE 0 END
           AS unmeasured_bytes
  FROM rel r
  WHERE r.schema NOT IN ('pg_catalog', 'information_schema') AND r.schema !~ '^pg_toast'
), est AS (
  SELECT u.*,
         (u.relpages + u.toast_pages) * current_setting('block_size')::float8 * u.growth + u.unmeasured_bytes
           AS est_table_bytes,
         coalesce(u.index_pages, 0) * current_setting('block_size')::float8 * u.growth AS est_index_bytes
  FROM usr u
), ranked AS (
  SELECT u.*,
         -- the 1,000 largest tables get exact sizes (pg_table_size and friends open every file of the
         -- table, its TOAST table and its indexes); all of them on a catalog of up to 1,000 tables
         row_number() OVER (ORDER BY u.est_table_bytes + u.est_index_bytes DESC, u.oid) <= 1000 AS size_exact,
         -- a table another session holds an ACCESS EXCLUSIVE lock on is not opened (hashed subplan)
         u.oid IN (SELECT l.relation FROM pg_locks l
                   WHERE l.mode = 'AccessExclusiveLock' AND l.granted AND l.relation IS NOT NULL
                     AND l.database = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database()))
           AS locked_exclusive
  FROM est u
)
SELECT r.oid::bigint AS relid,
       r.schema,
       r.relname AS "table",
       r.relkind::text AS relkind,
       r.relpersistence::text AS persistence,
       r.relispartition AS is_partition,
       r.reltuples::float8 AS reltuples,
       r.relpages::bigint AS relpages,
       pg_stat_get_live_tuples(r.oid)::bigint AS n_live_tup,
       pg_stat_get_dead_tuples(r.oid)::bigint AS n_dead_tup,
       pg_stat_get_mod_since_analyze(r.oid)::bigint AS n_mod_since_analyze,
       pg_stat_get_ins_since_vacuum(r.oid)::bigint AS n_ins_since_vacuum,
       pg_stat_get_numscans(r.oid)::bigint AS seq_scan,
       pg_stat_get_tuples_returned(r.oid)::bigint AS seq_tup_read,
       coalesce(r.idx_scan_sum, 0)::bigint AS idx_scan,
       coalesce(r.idx_tup_fetch_sum + pg_stat_get_tuples_fetched(r.oid), 0)::bigint AS idx_tup_fetch,
       pg_stat_get_lastscan(r.oid) AS last_seq_scan,
       pg_stat_get_tuples_inserted(r.oid)::bigint AS n_tup_ins,
       pg_stat_get_tuples_updated(r.oid)::bigint AS n_tup_upd,
       pg_stat_get_tuples_deleted(r.oid)::bigint AS n_tup_del,
       pg_stat_get_tuples_hot_updated(r.oid)::bigint AS n_tup_hot_upd,
       pg_stat_get_last_vacuum_time(r.oid) AS last_vacuum,
       pg_stat_get_last_autovacuum_time(r.oid) AS last_autovacuum,
       pg_stat_get_last_analyze_time(r.oid) AS last_analyze,
       pg_stat_get_last_autoanalyze_time(r.oid) AS last_autoanalyze,
       pg_stat_get_vacuum_count(r.oid)::bigint AS vacuum_count,
       pg_stat_get_autovacuum_count(r.oid)::bigint AS autovacuum_count,
       pg_stat_get_analyze_count(r.oid)::bigint AS analyze_count,
       pg_stat_get_autoanalyze_count(r.oid)::bigint AS autoanalyze_count,
       (pg_stat_get_blocks_fetched(r.oid) - pg_stat_get_blocks_hit(r.oid))::bigint AS heap_blks_read,
       pg_stat_get_blocks_hit(r.oid)::bigint AS heap_blks_hit,
       coalesce(r.idx_blks_read_sum, 0)::bigint AS idx_blks_read,
       coalesce(r.idx_blks_hit_sum, 0)::bigint AS idx_blks_hit,
       CASE WHEN r.locked_exclusive THEN NULL
            WHEN r.size_exact THEN pg_table_size(r.oid)
            ELSE round(r.est_table_bytes) END::bigint AS table_bytes,
       CASE WHEN r.locked_exclusive THEN NULL
            WHEN r.size_exact THEN pg_indexes_size(r.oid)
            ELSE round(r.est_index_bytes) END::bigint AS index_bytes,
       CASE WHEN r.locked_exclusive THEN NULL
            WHEN r.size_exact THEN pg_total_relation_size(r.oid)
            ELSE round(r.est_table_bytes) + round(r.est_index_bytes) END::bigint AS total_bytes,
       r.locked_exclusive,
       coalesce(array_to_string(r.reloptions, ','), '') AS reloptions,
       coalesce(r.has_pk, false) AS has_primary_key,
       coalesce(r.has_uk, false) AS has_unique_key,
       r.relreplident::text AS replica_identity,
       has_table_privilege(r.oid, 'SELECT') AS can_select,
       r.size_exact AND NOT r.locked_exclusive AS size_exact
FROM ranked r
ORDER BY r.schema, r.relname
