-- metric: accounts
-- about: every account and role (MariaDB 10.4+: mysql.global_priv, one JSON document each): authentication
-- about: plugin(s), whether a password is set (never the hash itself), locked, role, global privilege bits
-- flavor: mariadb
-- min_server: 100400
-- privileges: SELECT on mysql.global_priv (without it the account review is skipped, with a note)
-- order: 60
SELECT g.User AS user_name,
       g.Host AS host_name,
       -- never the password hashes: the document without them, and whether the main one is empty
       JSON_REMOVE(g.Priv, '$.authentication_string', '$.auth_or') AS priv,
       COALESCE(JSON_VALUE(g.Priv, '$.authentication_string'), '') = '' AS empty_auth,
       JSON_EXTRACT(g.Priv, '$.auth_or[*].plugin') AS or_plugins,
       'mysql.global_priv' AS source
FROM mysql.global_priv g
ORDER BY g.User, g.Host
LIMIT 10000
