-- metric: activity
-- about: sessions of the whole server (ours excluded): state, ages, wait events, and who blocks them
-- privileges: pg_read_all_stats (in pg_monitor) to see other roles' queries
-- order: 30
-- normalize: query
SELECT a.pid,
       a.datname AS database,
       a.datname = current_database() AS in_this_database,
       a.usename AS role,
       a.application_name,
       a.client_addr::text AS client_addr,
       a.backend_type,
       a.state,
       a.wait_event_type,
       a.wait_event,
       a.backend_start,
       a.xact_start,
       a.query_start,
       a.state_change,
       extract(epoch FROM now() - a.query_start)::float8 AS query_age_s,
       extract(epoch FROM now() - a.xact_start)::float8 AS xact_age_s,
       extract(epoch FROM now() - a.state_change)::float8 AS state_age_s,
       age(a.backend_xmin)::bigint AS xmin_age,
       pg_blocking_pids(a.pid) AS blocked_by,
       left(a.query, 2000) AS query
FROM pg_stat_activity a
WHERE a.pid <> pg_backend_pid()
  AND coalesce(a.application_name, '') <> 'dbxray'
ORDER BY a.pid
