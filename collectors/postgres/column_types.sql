-- metric: column_types
-- about: every column of the user tables (partitions left out: their parent speaks for them): its type
-- about: (and the base type of a domain), default, whether it is part of the primary key, and the
-- about: pg_stats figures (average width, distinct values, correlation); the schema-design checks read money
-- about: in floating point, key types, time zones, JSON columns, row width and join-column types from it;
-- about: bounded to 200000 columns
-- privileges: none (catalog); pg_stats shows only the columns this role may SELECT
-- order: 24
SELECT n.nspname AS schema,
       c.relname AS "table",
       c.relkind::text AS relkind,
       a.attname::text AS "column",
       format_type(a.atttypid, a.atttypmod) AS type,
       bt.typname::text AS base_type,
       bt.typcategory::text AS type_category,
       pg_get_expr(d.adbin, d.adrelid) AS default_expr,
       coalesce(a.attnum = ANY(pk.conkey), false) AS in_primary_key,
       s.avg_width::int AS avg_width,
       s.null_frac::float8 AS null_frac,
       s.n_distinct::float8 AS n_distinct,
       s.correlation::float8 AS correlation
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
LEFT JOIN pg_constraint pk ON pk.conrelid = c.oid AND pk.contype = 'p'
LEFT JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = c.relname AND s.attname = a.attname
                    AND s.inherited = (c.relkind = 'p')
WHERE a.attnum > 0
  AND NOT a.attisdropped
  AND c.relkind IN ('r', 'p')
  AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%'
  AND n.nspname NOT LIKE 'pg_temp%'
ORDER BY n.nspname, c.relname, a.attnum
LIMIT 200000
