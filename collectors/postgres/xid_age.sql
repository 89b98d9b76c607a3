-- metric: xid_age
-- about: the 50 relations of this database closest to transaction-ID and multixact wraparound,
-- about: TOAST included (the older of a table's and its TOAST table's relfrozenxid)
-- privileges: none (catalog)
-- order: 34
SELECT n.nspname AS schema,
       c.relname AS "table",
       c.relkind::text AS relkind,
       greatest(age(c.relfrozenxid), age(coalesce(t.relfrozenxid, c.relfrozenxid)))::bigint AS xid_age,
       greatest(mxid_age(c.relminmxid), mxid_age(coalesce(t.relminmxid, c.relminmxid)))::bigint AS mxid_age,
       (c.relpages::bigint * current_setting('block_size')::bigint) AS table_bytes,
       current_setting('autovacuum_freeze_max_age')::bigint AS autovacuum_freeze_max_age,
       current_setting('autovacuum_multixact_freeze_max_age')::bigint AS autovacuum_multixact_freeze_max_age
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class t ON t.oid = c.reltoastrelid
WHERE c.relkind IN ('r', 'm')
  AND c.relpersistence <> 't'
ORDER BY 4 DESC
LIMIT 50
