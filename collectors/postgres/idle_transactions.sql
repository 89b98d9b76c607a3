-- metric: idle_transactions
-- about: sessions idle inside an open transaction (ours excluded): whether they wrote or locked rows (an xid),
-- about: hold back the xmin horizon, which tables they hold locks on (beyond plain reads) and who waits on them
-- privileges: pg_read_all_stats (in pg_monitor) to see other roles' sessions
-- order: 32
-- normalize: last_query
SELECT a.pid,
       a.usename AS role,
       a.datname AS database,
       a.application_name,
       a.client_addr::text AS client_addr,
       a.state,
       extract(epoch FROM now() - a.state_change)::float8 AS idle_s,
       extract(epoch FROM now() - a.xact_start)::float8 AS xact_age_s,
       a.backend_xid::text AS xid,
       age(a.backend_xmin)::bigint AS xmin_age,
       ARRAY(SELECT DISTINCT l.relation::regclass::text
               FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
              WHERE l.pid = a.pid AND l.granted AND l.locktype = 'relation' AND l.mode <> 'AccessShareLock'
                AND c.relkind IN ('r', 'p', 'm') AND c.relnamespace <> 'pg_catalog'::regnamespace
              ORDER BY 1) AS locked_relations,
       ARRAY(SELECT DISTINCT l.relation::regclass::text
               FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
              WHERE l.pid = a.pid AND l.granted AND l.locktype = 'relation' AND l.mode = 'AccessShareLock'
                AND c.relkind IN ('r', 'p', 'm') AND c.relnamespace <> 'pg_catalog'::regnamespace
              ORDER BY 1) AS read_relations,
       ARRAY(SELECT w.pid FROM pg_stat_activity w WHERE a.pid = ANY (pg_blocking_pids(w.pid)) ORDER BY 1)
           AS waiting_pids,
       left(a.query, 2000) AS last_query
FROM pg_stat_activity a
WHERE a.state IN ('idle in transaction', 'idle in transaction (aborted)')
  AND a.pid <> pg_backend_pid()
  AND coalesce(a.application_name, '') <> 'dbxray'
ORDER BY a.pid
