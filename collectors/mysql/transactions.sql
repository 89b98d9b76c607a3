-- metric: transactions
-- about: open InnoDB transactions with their age, state (RUNNING / LOCK WAIT), rows locked and modified,
-- about: and what their session is doing now (Sleep = idle in transaction)
-- privileges: PROCESS
-- order: 31
-- normalize: query
SELECT t.trx_id AS trx_id,
       t.trx_state AS state,
       t.trx_started AS started_at,
       TIMESTAMPDIFF(SECOND, t.trx_started, NOW()) AS trx_seconds,
       t.trx_wait_started AS wait_started_at,
       TIMESTAMPDIFF(SECOND, t.trx_wait_started, NOW()) AS wait_seconds,
       t.trx_mysql_thread_id AS pid,
       p.USER AS user,
       p.HOST AS client,
       p.DB AS db,
       p.COMMAND AS command,
       p.TIME AS command_seconds,
       p.STATE AS thread_state,
       LEFT(t.trx_query, 4000) AS query,
       t.trx_operation_state AS operation_state,
       t.trx_tables_locked AS tables_locked,
       t.trx_lock_structs AS lock_structs,
       t.trx_rows_locked AS rows_locked,
       t.trx_rows_modified AS rows_modified,
       t.trx_isolation_level AS isolation_level,
       t.trx_is_read_only AS is_read_only
FROM information_schema.INNODB_TRX t
LEFT JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id
WHERE t.trx_mysql_thread_id <> CONNECTION_ID()
ORDER BY t.trx_started
LIMIT 10000
