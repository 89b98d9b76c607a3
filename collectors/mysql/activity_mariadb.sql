-- metric: activity
-- about: sessions of the whole server (ours excluded): command, time in state (ms precision), state,
-- about: the running statement, rows examined so far, memory
-- flavor: mariadb
-- privileges: PROCESS to see other accounts' sessions (without it: only this account's own)
-- order: 30
-- normalize: query
SELECT p.ID AS pid,
       p.USER AS user,
       p.HOST AS client,
       p.DB AS db,
       p.DB = @dbxray_db AS in_this_database,
       p.COMMAND AS command,
       p.TIME AS seconds,
       p.TIME_MS / 1000 AS seconds_precise,
       p.STATE AS state,
       LEFT(p.INFO, 4000) AS query,
       p.EXAMINED_ROWS AS examined_rows,
       p.MEMORY_USED AS memory_bytes
FROM information_schema.PROCESSLIST p
WHERE p.ID <> CONNECTION_ID()
  AND (p.INFO IS NULL OR p.INFO NOT LIKE '/* dbxray */%')
ORDER BY p.TIME DESC
LIMIT 10000
