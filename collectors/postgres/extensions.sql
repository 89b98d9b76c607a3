-- metric: extensions
-- about: extensions created in this database, with their versions (chooses the other collectors' variants)
-- privileges: none (catalog)
-- order: 0
SELECT e.extname AS name,
       e.extversion AS version,
       n.nspname AS schema,
       a.default_version AS available_version
FROM pg_extension e
JOIN pg_namespace n ON n.oid = e.extnamespace
LEFT JOIN pg_available_extensions a ON a.name = e.extname
ORDER BY e.extname
