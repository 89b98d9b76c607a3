-- metric: table_storage
-- about: where each user table's bytes live: the main heap and the TOAST table (values of more than ~2 kB,
-- about: compressed and moved out of line), and its fillfactor; exact sizes for the 1,000 largest tables,
-- about: relpages-based estimates for the others (size_exact); the row-width checks compare them with
-- about: what the hot statements read
-- privileges: none; sizes are skipped for tables another session holds an ACCESS EXCLUSIVE lock on
-- order: 25
--
-- Scale: one scan of pg_class, the TOAST table probed by key; pg_relation_size (which opens the files and
-- takes a lock) only for the 1,000 largest by their catalog estimate, as the tables collector does.
WITH rel AS (
  SELECT c.oid, c.relname, c.relkind, c.reltuples, c.relpages, c.reloptions, c.reltoastrelid,
         (SELECT n.nspname FROM pg_namespace n WHERE n.oid = c.relnamespace) AS schema,
         coalesce((SELECT t.relpages FROM pg_class t WHERE t.oid = c.reltoastrelid), 0) AS toast_pages
  FROM pg_class c
  WHERE c.relkind IN ('r', 'm')
), ranked AS (
  SELECT r.*,
         row_number() OVER (ORDER BY r.relpages + r.toast_pages DESC, r.oid) <= 1000 AS size_exact,
         r.oid IN (SELECT l.relation FROM pg_locks l
                   WHERE l.mode = 'AccessExclusiveLock' AND l.granted AND l.relation IS NOT NULL
                     AND l.database = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database()))
           AS locked_exclusive
  FROM rel r
  WHERE r.schema NOT IN ('pg_catalog', 'information_schema') AND r.schema !~ '^pg_(toast|temp)'
)
SELECT r.oid::bigint AS relid,
       r.schema,
       r.relname AS "table",
       r.relkind::text AS relkind,
       CASE WHEN r.locked_exclusive THEN NULL
            WHEN r.size_exact THEN pg_relation_size(r.oid)
            ELSE r.relpages * current_setting('block_size')::bigint END::bigint AS heap_bytes,
       CASE WHEN r.locked_exclusive THEN NULL
            WHEN r.reltoastrelid = 0 THEN 0
            WHEN r.size_exact THEN pg_total_relation_size(r.reltoastrelid)
            ELSE r.toast_pages * current_setting('block_size')::bigint END::bigint AS toast_bytes,
       r.reltuples::float8 AS reltuples,
       r.relpages::bigint AS relpages,
       coalesce((SELECT option_value::int FROM pg_options_to_table(r.reloptions)
                  WHERE option_name = 'fillfactor'), 100) AS fillfactor,
       r.size_exact AND NOT r.locked_exclusive AS size_exact
FROM ranked r
ORDER BY r.schema, r.relname
LIMIT 50000
