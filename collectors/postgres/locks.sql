-- metric: locks
-- about: lock requests that are waiting, with the object they wait on and the sessions blocking them
-- privileges: pg_read_all_stats for other roles' details
-- order: 31
SELECT l.pid,
       l.locktype,
       l.mode,
       l.granted,
       CASE WHEN l.relation IS NOT NULL THEN l.relation::regclass::text END AS relation,
       l.transactionid::text AS transactionid,
       l.page, l.tuple,
       (to_jsonb(l) ->> 'waitstart')::timestamptz AS wait_start,
       extract(epoch FROM now() - (to_jsonb(l) ->> 'waitstart')::timestamptz)::float8 AS wait_s,
       pg_blocking_pids(l.pid) AS blocked_by,
       -- a wait on a transaction ID names no table: the tables the waiter already holds do
       ARRAY(SELECT DISTINCT h.relation::regclass::text FROM pg_locks h JOIN pg_class c ON c.oid = h.relation
              WHERE h.pid = l.pid AND h.granted AND h.locktype = 'relation' AND c.relkind IN ('r', 'p', 'm')
                AND c.relnamespace <> 'pg_catalog'::regnamespace) AS held_relations
FROM pg_locks l
WHERE NOT l.granted
ORDER BY l.pid
