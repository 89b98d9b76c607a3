-- metric: server
-- about: who and where we are, uptime, recovery state, and what this role may read
-- privileges: none; reports whether pg_monitor / pg_read_all_stats are held
-- order: 2
SELECT current_setting('server_version_num')::int AS version_num,
       version() AS version,
       current_database() AS database,
       current_user AS role,
       (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS is_superuser,
       pg_has_role(current_user, 'pg_monitor', 'USAGE') AS has_pg_monitor,
       pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') AS has_read_all_stats,
       pg_postmaster_start_time() AS started_at,
       extract(epoch FROM now() - pg_postmaster_start_time())::float8 AS uptime_s,
       pg_is_in_recovery() AS in_recovery,
       now() AS now,
       -- pg_stats hides rows of columns the role cannot SELECT, without any error:
       -- compare analysed tables with the tables pg_stats shows us
       (SELECT count(*) FROM pg_stat_user_tables t
         WHERE coalesce(t.last_analyze, t.last_autoanalyze) IS NOT NULL)::int AS analyzed_tables,
       -- EXISTS stops at the first visible row: cheap on a 10,000-table catalog when all is well
       (EXISTS (SELECT 1 FROM pg_stats s
                 WHERE s.schemaname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')))::int
         AS tables_in_pg_stats,
       (SELECT count(*) FROM pg_stat_user_tables t
         WHERE coalesce(t.last_analyze, t.last_autoanalyze) IS NOT NULL
           AND NOT has_table_privilege(t.relid, 'SELECT'))::int AS analyzed_tables_without_select
