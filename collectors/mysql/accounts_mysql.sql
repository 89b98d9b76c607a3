-- metric: accounts
-- about: every account (MySQL 5.7/8: mysql.user): authentication plugin, whether a password is set (never the
-- about: hash itself), locked or expired, and the global privileges that matter for a security review
-- flavor: mysql
-- min_server: 50700
-- privileges: SELECT on mysql.user (without it the account review is skipped, with a note)
-- order: 60
SELECT u.User AS user_name,
       u.Host AS host_name,
       u.plugin AS plugin,
       LENGTH(u.authentication_string) = 0 AS empty_auth,
       u.account_locked = 'Y' AS locked,
       u.password_expired = 'Y' AS expired,
       CONCAT_WS(',',
         IF(u.Select_priv = 'Y', 'SELECT', NULL), IF(u.Insert_priv = 'Y', 'INSERT', NULL),
         IF(u.Update_priv = 'Y', 'UPDATE', NULL), IF(u.Delete_priv = 'Y', 'DELETE', NULL),
         IF(u.Create_priv = 'Y', 'CREATE', NULL), IF(u.Drop_priv = 'Y', 'DROP', NULL),
         IF(u.Reload_priv = 'Y', 'RELOAD', NULL), IF(u.Shutdown_priv = 'Y', 'SHUTDOWN', NULL),
         IF(u.Process_priv = 'Y', 'PROCESS', NULL), IF(u.File_priv = 'Y', 'FILE', NULL),
         IF(u.Grant_priv = 'Y', 'GRANT OPTION', NULL), IF(u.Super_priv = 'Y', 'SUPER', NULL),
         IF(u.Create_user_priv = 'Y', 'CREATE USER', NULL), IF(u.Alter_priv = 'Y', 'ALTER', NULL),
         IF(u.Index_priv = 'Y', 'INDEX', NULL), IF(u.Show_db_priv = 'Y', 'SHOW DATABASES', NULL),
         IF(u.Execute_priv = 'Y', 'EXECUTE', NULL), IF(u.Repl_slave_priv = 'Y', 'REPLICATION SLAVE', NULL),
         IF(u.Repl_client_priv = 'Y', 'REPLICATION CLIENT', NULL), IF(u.Event_priv = 'Y', 'EVENT', NULL),
         IF(u.Trigger_priv = 'Y', 'TRIGGER', NULL), IF(u.Lock_tables_priv = 'Y', 'LOCK TABLES', NULL)) AS privileges,
       'mysql.user' AS source
FROM mysql.user u
ORDER BY u.User, u.Host
LIMIT 10000
