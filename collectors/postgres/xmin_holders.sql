-- metric: xmin_holders
-- about: what holds back the xmin horizon, below which vacuum cannot remove dead rows anywhere on the
-- about: server: open transactions and snapshots of sessions, replication slots, standbys with
-- about: hot_standby_feedback, and prepared transactions (ours excluded)
-- privileges: pg_read_all_stats (in pg_monitor) for other roles' sessions
-- order: 35
SELECT 'session' AS kind,
       a.pid::text AS holder,
       a.pid,
       a.datname AS database,
       a.usename AS role,
       a.state,
       greatest(age(a.backend_xmin), age(a.backend_xid))::bigint AS xmin_age,
       NULL::bigint AS catalog_xmin_age,
       extract(epoch FROM now() - a.xact_start)::float8 AS held_s,
       extract(epoch FROM now() - a.state_change)::float8 AS state_s,
       a.application_name,
       a.client_addr::text AS client_addr
FROM pg_stat_activity a
WHERE (a.backend_xmin IS NOT NULL OR a.backend_xid IS NOT NULL)
  AND a.pid <> pg_backend_pid()
  AND coalesce(a.application_name, '') <> 'dbxray'
UNION ALL
SELECT 'replication_slot', s.slot_name::text, s.active_pid, s.database::text, NULL,
       CASE WHEN s.active THEN 'active' ELSE 'inactive' END,
       CASE WHEN s.xmin IS NOT NULL THEN age(s.xmin)::bigint END,
       CASE WHEN s.catalog_xmin IS NOT NULL THEN age(s.catalog_xmin)::bigint END,
       NULL, NULL, s.slot_type, NULL
FROM pg_replication_slots s
WHERE s.xmin IS NOT NULL OR s.catalog_xmin IS NOT NULL
UNION ALL
SELECT 'standby', r.application_name::text, r.pid, NULL, r.usename::text, r.state,
       age(r.backend_xmin)::bigint, NULL,
       extract(epoch FROM now() - r.backend_start)::float8, NULL, r.application_name, r.client_addr::text
FROM pg_stat_replication r
WHERE r.backend_xmin IS NOT NULL
UNION ALL
SELECT 'prepared_transaction', p.gid, NULL, p.database::text, p.owner::text, 'prepared',
       age(p.transaction)::bigint, NULL,
       extract(epoch FROM now() - p.prepared)::float8, NULL, NULL, NULL
FROM pg_prepared_xacts p
