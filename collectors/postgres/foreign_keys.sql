-- metric: foreign_keys
-- about: foreign keys with their referencing columns in order and the referenced table
-- privileges: none (catalog)
-- order: 22
--
-- Scale: one scan of pg_constraint; tables and schemas by key (LATERAL with OFFSET 0 and scalar
-- subqueries are probes, never joins planned from stale catalog statistics).
SELECT con.oid::bigint AS oid,
       con.conname AS name,
       t.schema,
       t.relname AS "table",
       con.conrelid::bigint AS relid,
       ARRAY(SELECT (SELECT a.attname::text FROM pg_attribute a
                      WHERE a.attrelid = con.conrelid AND a.attnum = k.attnum)
               FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
              ORDER BY k.ord) AS columns,
       rt.schema AS ref_schema,
       rt.relname AS ref_table,
       ARRAY(SELECT (SELECT a.attname::text FROM pg_attribute a
                      WHERE a.attrelid = con.confrelid AND a.attnum = k.attnum)
               FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
              ORDER BY k.ord) AS ref_columns,
       con.confdeltype::text AS on_delete,
       con.confupdtype::text AS on_update,
       con.convalidated AS validated,
       t.relkind::text AS relkind
FROM pg_constraint con
CROSS JOIN LATERAL (SELECT c.relname, c.relkind,
                           (SELECT n.nspname FROM pg_namespace n WHERE n.oid = c.relnamespace) AS schema
                    FROM pg_class c WHERE c.oid = con.conrelid OFFSET 0) t
CROSS JOIN LATERAL (SELECT c.relname,
                           (SELECT n.nspname FROM pg_namespace n WHERE n.oid = c.relnamespace) AS schema
                    FROM pg_class c WHERE c.oid = con.confrelid OFFSET 0) rt
WHERE con.contype = 'f'
  AND t.schema NOT IN ('pg_catalog', 'information_schema')
  AND con.conparentid = 0
ORDER BY t.schema, t.relname, con.conname
