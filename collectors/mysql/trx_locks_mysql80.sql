-- metric: trx_locks
-- about: the tables each open InnoDB transaction holds locks on (MySQL 8: performance_schema.data_locks
-- about: lists every lock held, not only the ones waited for), with its row-lock count and lock modes
-- flavor: mysql
-- min_server: 80000
-- privileges: SELECT on performance_schema
-- order: 33
SELECT th.PROCESSLIST_ID AS pid,
       l.ENGINE_TRANSACTION_ID AS trx_id,
       l.OBJECT_SCHEMA AS `schema`,
       l.OBJECT_NAME AS `table`,
       SUM(l.LOCK_TYPE = 'RECORD') AS record_locks,
       GROUP_CONCAT(DISTINCT l.LOCK_MODE ORDER BY l.LOCK_MODE) AS lock_modes
FROM performance_schema.data_locks l
JOIN performance_schema.threads th ON th.THREAD_ID = l.THREAD_ID
WHERE th.PROCESSLIST_ID IS NOT NULL
  AND th.PROCESSLIST_ID <> CONNECTION_ID()
  AND l.LOCK_STATUS = 'GRANTED'
GROUP BY th.PROCESSLIST_ID, l.ENGINE_TRANSACTION_ID, l.OBJECT_SCHEMA, l.OBJECT_NAME
LIMIT 10000
