-- metric: xid_age
-- about: the relations of this database closest to transaction-ID and multixact wraparound, TOAST
-- about: included (the older of a table's and its TOAST table's relfrozenxid): the 40 oldest user
-- about: tables and the 10 oldest system catalogs
-- privileges: none (catalog)
-- order: 34
WITH ages AS (
  SELECT c.schema,
         c.relname AS "table",
         c.relkind::text AS relkind,
         c.schema IN ('pg_catalog', 'information_schema', 'pg_toast') AS is_system,
         greatest(age(c.relfrozenxid), age(coalesce(t.relfrozenxid, c.relfrozenxid)))::bigint AS xid_age,
         greatest(mxid_age(c.relminmxid), mxid_age(coalesce(t.relminmxid, c.relminmxid)))::bigint AS mxid_age,
         (c.relpages::bigint * current_setting('block_size')::bigint) AS table_bytes
  -- one scan of pg_class, schema and TOAST table by key (probes, whatever the catalog statistics say)
  FROM (SELECT c.*, (SELECT n.nspname FROM pg_namespace n WHERE n.oid = c.relnamespace) AS schema
        FROM pg_class c
        WHERE c.relkind IN ('r', 'm')
          AND c.relpersistence <> 't') c
  LEFT JOIN LATERAL (SELECT t.relfrozenxid, t.relminmxid FROM pg_class t WHERE t.oid = c.reltoastrelid OFFSET 0) t
       ON true
), ranked AS (
  SELECT *, row_number() OVER (PARTITION BY is_system ORDER BY xid_age DESC, mxid_age DESC) AS rank
  FROM ages
)
SELECT schema, "table", relkind, is_system, xid_age, mxid_age, table_bytes,
       current_setting('autovacuum_freeze_max_age')::bigint AS autovacuum_freeze_max_age,
       current_setting('autovacuum_multixact_freeze_max_age')::bigint AS autovacuum_multixact_freeze_max_age
FROM ranked
WHERE (NOT is_system AND rank <= 40) OR (is_system AND rank <= 10)
ORDER BY xid_age DESC
