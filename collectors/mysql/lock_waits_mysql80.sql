-- metric: lock_waits
-- about: who blocks whom on InnoDB row and table locks (MySQL 8: performance_schema.data_lock_waits and
-- about: data_locks, which replaced INNODB_LOCK_WAITS / INNODB_LOCKS)
-- flavor: mysql
-- min_server: 80000
-- privileges: PROCESS (INNODB_TRX) and SELECT on performance_schema
-- order: 32
-- normalize: waiting_query, blocking_query
SELECT w.REQUESTING_ENGINE_TRANSACTION_ID AS waiting_trx_id,
       rt.trx_mysql_thread_id AS waiting_pid,
       LEFT(rt.trx_query, 2000) AS waiting_query,
       TIMESTAMPDIFF(SECOND, rt.trx_wait_started, NOW()) AS wait_seconds,
       w.BLOCKING_ENGINE_TRANSACTION_ID AS blocking_trx_id,
       bt.trx_mysql_thread_id AS blocking_pid,
       LEFT(bt.trx_query, 2000) AS blocking_query,
       TIMESTAMPDIFF(SECOND, bt.trx_started, NOW()) AS blocking_trx_seconds,
       bp.COMMAND AS blocking_command,
       bp.TIME AS blocking_command_seconds,
       bp.USER AS blocking_user,
       bp.HOST AS blocking_client,
       CONCAT('`', REPLACE(rl.OBJECT_SCHEMA, '`', '``'), '`.`', REPLACE(rl.OBJECT_NAME, '`', '``'), '`') AS lock_table,
       rl.INDEX_NAME AS locked_index,
       rl.LOCK_TYPE AS lock_type,
       rl.LOCK_MODE AS waiting_lock_mode,
       bl.LOCK_MODE AS blocking_lock_mode
FROM performance_schema.data_lock_waits w
JOIN information_schema.INNODB_TRX rt ON rt.trx_id = w.REQUESTING_ENGINE_TRANSACTION_ID
JOIN information_schema.INNODB_TRX bt ON bt.trx_id = w.BLOCKING_ENGINE_TRANSACTION_ID
LEFT JOIN performance_schema.data_locks rl ON rl.ENGINE_LOCK_ID = w.REQUESTING_ENGINE_LOCK_ID
LEFT JOIN performance_schema.data_locks bl ON bl.ENGINE_LOCK_ID = w.BLOCKING_ENGINE_LOCK_ID
LEFT JOIN information_schema.PROCESSLIST bp ON bp.ID = bt.trx_mysql_thread_id
LIMIT 10000
