-- metric: trx_statements
-- about: the last statements of the sessions that have an open InnoDB transaction, from performance_schema's
-- about: statement history (on by default in MySQL 8; MariaDB records it only with the consumers
-- about: events_statements_current and _history ON): which tables an idle transaction touched
-- privileges: PROCESS (INNODB_TRX) and SELECT on performance_schema
-- order: 34
-- normalize: sql_text
SELECT th.PROCESSLIST_ID AS pid,
       s.EVENT_ID AS event_id,
       s.CURRENT_SCHEMA AS current_schema,
       LEFT(s.SQL_TEXT, 2000) AS sql_text,
       'events_statements_history' AS source
FROM performance_schema.events_statements_history s
JOIN performance_schema.threads th ON th.THREAD_ID = s.THREAD_ID
WHERE th.PROCESSLIST_ID IN (SELECT trx_mysql_thread_id FROM information_schema.INNODB_TRX)
  AND th.PROCESSLIST_ID <> CONNECTION_ID()
UNION ALL
SELECT th.PROCESSLIST_ID, s.EVENT_ID, s.CURRENT_SCHEMA, LEFT(s.SQL_TEXT, 2000), 'events_statements_current'
FROM performance_schema.events_statements_current s
JOIN performance_schema.threads th ON th.THREAD_ID = s.THREAD_ID
WHERE th.PROCESSLIST_ID IN (SELECT trx_mysql_thread_id FROM information_schema.INNODB_TRX)
  AND th.PROCESSLIST_ID <> CONNECTION_ID()
ORDER BY pid, event_id
LIMIT 10000
