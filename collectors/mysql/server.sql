-- metric: server
-- about: version, the target database, which statistics sources are on (performance_schema, slow log)
-- about: and whether this account holds PROCESS: what the report can and cannot see (one file for both
-- about: flavours: uptime and userstat come from the status and settings collectors)
-- privileges: none
-- order: 1
SELECT VERSION() AS version,
       @@version_comment AS version_comment,
       @dbxray_db AS `database`,
       CURRENT_USER() AS account,
       NOW() AS server_now,
       @@performance_schema AS performance_schema,
       @@log_output AS log_output,
       @@slow_query_log AS slow_query_log,
       @@long_query_time AS long_query_time,
       @@max_connections AS max_connections,
       @@innodb_page_size AS innodb_page_size,
       EXISTS (SELECT 1 FROM information_schema.USER_PRIVILEGES
                WHERE GRANTEE = CONCAT('''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''',
                                       SUBSTRING_INDEX(CURRENT_USER(), '@', -1), '''')
                  AND PRIVILEGE_TYPE = 'PROCESS') AS has_process,
       EXISTS (SELECT 1 FROM information_schema.USER_PRIVILEGES
                WHERE GRANTEE = CONCAT('''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''',
                                       SUBSTRING_INDEX(CURRENT_USER(), '@', -1), '''')
                  AND PRIVILEGE_TYPE = 'SELECT') AS has_global_select,
       (SELECT COUNT(*) FROM information_schema.TABLES
         WHERE TABLE_SCHEMA = @dbxray_db
            OR (@dbxray_db IS NULL AND TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')))
         AS tables_in_scope
