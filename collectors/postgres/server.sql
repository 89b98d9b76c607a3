-- metric: server
-- about: who and where we are, uptime, recovery state, and what this role may read
-- privileges: none; reports whether pg_monitor / pg_read_all_stats are held
-- order: 2
-- (user tables analysed at least once: one scan of pg_class with the functions pg_stat_user_tables
-- calls, rather than that view's join and GROUP BY, planned from stale catalog statistics)
WITH analysed AS MATERIALIZED (
  SELECT c.oid
  FROM pg_class c
  WHERE c.relkind IN ('r', 't', 'm', 'p')
    AND coalesce(pg_stat_get_last_analyze_time(c.oid), pg_stat_get_last_autoanalyze_time(c.oid)) IS NOT NULL
    AND (SELECT n.nspname FROM pg_namespace n WHERE n.oid = c.relnamespace) NOT IN ('pg_catalog', 'information_schema')
    AND (SELECT n.nspname FROM pg_namespace n WHERE n.oid = c.relnamespace) !~ '^pg_toast'
)
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
       (SELECT count(*) FROM analysed)::int AS analyzed_tables,
       -- EXISTS stops at the first visible row: cheap on a 10,000-table catalog when all is well
       (EXISTS (SELECT 1 FROM pg_stats s
                 WHERE s.schemaname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')))::int
         AS tables_in_pg_stats,
       (SELECT count(*) FROM analysed WHERE NOT has_table_privilege(analysed.oid, 'SELECT'))::int
         AS analyzed_tables_without_select
