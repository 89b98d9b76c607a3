-- metric: foreign_keys
-- about: foreign keys with their referencing columns in order and the referenced table
-- privileges: none (catalog)
-- order: 22
SELECT con.oid::bigint AS oid,
       con.conname AS name,
       n.nspname AS schema,
       t.relname AS "table",
       con.conrelid::bigint AS relid,
       ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
              ORDER BY k.ord) AS columns,
       rn.nspname AS ref_schema,
       rt.relname AS ref_table,
       ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum
              ORDER BY k.ord) AS ref_columns,
       con.confdeltype::text AS on_delete,
       con.confupdtype::text AS on_update,
       con.convalidated AS validated,
       t.relkind::text AS relkind
FROM pg_constraint con
JOIN pg_class t ON t.oid = con.conrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
JOIN pg_class rt ON rt.oid = con.confrelid
JOIN pg_namespace rn ON rn.oid = rt.relnamespace
WHERE con.contype = 'f'
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND con.conparentid = 0
ORDER BY n.nspname, t.relname, con.conname
