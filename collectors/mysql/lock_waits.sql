-- metric: lock_waits
-- about: who blocks whom on InnoDB row and table locks: the waiting and the blocking transaction, their
-- about: sessions and statements, the locked table and index (MariaDB and MySQL 5.7: INNODB_LOCK_WAITS)
-- privileges: PROCESS
-- order: 32
-- normalize: waiting_query, blocking_query
SELECT w.requesting_trx_id AS waiting_trx_id,
       rt.trx_mysql_thread_id AS waiting_pid,
       LEFT(rt.trx_query, 2000) AS waiting_query,
       TIMESTAMPDIFF(SECOND, rt.trx_wait_started, NOW()) AS wait_seconds,
       w.blocking_trx_id AS blocking_trx_id,
       bt.trx_mysql_thread_id AS blocking_pid,
       LEFT(bt.trx_query, 2000) AS blocking_query,
       TIMESTAMPDIFF(SECOND, bt.trx_started, NOW()) AS blocking_trx_seconds,
       bp.COMMAND AS blocking_command,
       bp.TIME AS blocking_command_seconds,
       bp.USER AS blocking_user,
       bp.HOST AS blocking_client,
       rl.lock_table AS lock_table,
       rl.lock_index AS locked_index,
       rl.lock_type AS lock_type,
       rl.lock_mode AS waiting_lock_mode,
       bl.lock_mode AS blocking_lock_mode
FROM information_schema.INNODB_LOCK_WAITS w
JOIN information_schema.INNODB_TRX rt ON rt.trx_id = w.requesting_trx_id
JOIN information_schema.INNODB_TRX bt ON bt.trx_id = w.blocking_trx_id
LEFT JOIN information_schema.INNODB_LOCKS rl ON rl.lock_id = w.requested_lock_id
LEFT JOIN information_schema.INNODB_LOCKS bl ON bl.lock_id = w.blocking_lock_id
LEFT JOIN information_schema.PROCESSLIST bp ON bp.ID = bt.trx_mysql_thread_id
LIMIT 10000
