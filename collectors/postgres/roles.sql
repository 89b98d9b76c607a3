-- metric: roles
-- about: roles and their powers (superuser, login, replication, bypass RLS) and memberships
-- privileges: none (pg_roles hides passwords)
-- order: 33
SELECT r.oid::bigint AS oid,
       r.rolname AS role,
       r.rolsuper AS is_superuser,
       r.rolcanlogin AS can_login,
       r.rolcreaterole AS can_create_role,
       r.rolcreatedb AS can_create_db,
       r.rolreplication AS can_replicate,
       r.rolbypassrls AS bypass_rls,
       r.rolvaliduntil AS valid_until,
       r.oid = 10 AS is_bootstrap,
       ARRAY(SELECT g.rolname::text FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
              WHERE m.member = r.oid ORDER BY 1) AS member_of
FROM pg_roles r
WHERE r.rolname NOT LIKE 'pg\_%'
ORDER BY r.rolname
