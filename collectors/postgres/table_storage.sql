-- metric: table_storage
-- about: where each user table's bytes live: the main heap, the TOAST table (values of more than ~2 kB,
-- about: compressed and moved out of line) and its fillfactor; the row-width and caching checks compare
-- about: them with what the hot statements read
-- privileges: none; sizes are skipped for tables another session holds an ACCESS EXCLUSIVE lock on
-- order: 25
WITH locked AS (
  SELECT DISTINCT relation FROM pg_locks
  WHERE mode = 'AccessExclusiveLock' AND granted AND relation IS NOT NULL
    AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
)
SELECT c.oid::bigint AS relid,
       n.nspname AS schema,
       c.relname AS "table",
       c.relkind::text AS relkind,
       CASE WHEN l.relation IS NULL THEN pg_relation_size(c.oid) END::bigint AS heap_bytes,
       CASE WHEN l.relation IS NULL AND c.reltoastrelid <> 0 THEN pg_total_relation_size(c.reltoastrelid)
            ELSE 0 END::bigint AS toast_bytes,
       c.reltuples::float8 AS reltuples,
       c.relpages::bigint AS relpages,
       coalesce((SELECT option_value::int FROM pg_options_to_table(c.reloptions)
                  WHERE option_name = 'fillfactor'), 100) AS fillfactor,
       (SELECT count(*) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)::int
         AS n_columns
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN locked l ON l.relation = c.oid
WHERE c.relkind IN ('r', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%'
  AND n.nspname NOT LIKE 'pg_temp%'
ORDER BY n.nspname, c.relname
LIMIT 50000
