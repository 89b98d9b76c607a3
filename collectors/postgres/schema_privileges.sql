-- metric: schema_privileges
-- about: schemas in which every role (PUBLIC) may create objects
-- privileges: none (catalog)
-- order: 35
SELECT n.nspname AS schema,
       EXISTS (SELECT 1 FROM aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a
                WHERE a.grantee = 0 AND a.privilege_type = 'CREATE') AS public_can_create,
       pg_get_userbyid(n.nspowner) AS owner
FROM pg_namespace n
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname NOT LIKE 'pg_temp%' AND n.nspname NOT LIKE 'pg_toast_temp%'
ORDER BY n.nspname
