-- metric: slow_log
-- about: the fallback when performance_schema is off: statements of the target database logged to the
-- about: mysql.slow_log table (log_output includes TABLE), fingerprinted on the server (literals -> ?,
-- about: IN lists -> IN (...)) so no literal leaves it, grouped like digests; queryid = MD5(fingerprint)
-- flavor: mariadb
-- privileges: SELECT on mysql.slow_log
-- order: 11
-- normalize: query
SELECT MD5(fp) AS queryid,
       LEFT(fp, 1024) AS query,
       db AS `schema`,
       COUNT(*) AS calls,
       SUM(qt_ms) * 1e0 AS total_exec_ms,
       AVG(qt_ms) * 1e0 AS mean_exec_ms,
       MIN(qt_ms) * 1e0 AS min_exec_ms,
       MAX(qt_ms) * 1e0 AS max_exec_ms,
       SUM(lk_ms) * 1e0 AS lock_ms,
       CAST(SUM(rows_sent) AS UNSIGNED) AS `rows`,
       CAST(SUM(rows_examined) AS UNSIGNED) AS rows_examined,
       CAST(SUM(rows_affected) AS UNSIGNED) AS rows_affected,
       MIN(start_time) AS first_seen,
       MAX(start_time) AS last_seen,
       'mysql.slow_log' AS source
FROM (
  SELECT db, start_time, rows_sent, rows_examined, rows_affected,
         TIME_TO_SEC(query_time) * 1000 AS qt_ms,
         TIME_TO_SEC(lock_time) * 1000 AS lk_ms,
         TRIM(REGEXP_REPLACE(
           REGEXP_REPLACE(
             REGEXP_REPLACE(
               REGEXP_REPLACE(
                 REGEXP_REPLACE(sql_text, '/\\*.*?\\*/', ' '),
                 '''[^'']*''|"[^"]*"', '?'),
               '\\b[0-9]+(\\.[0-9]+)?\\b', '?'),
             '(?i)\\bIN\\s*\\(\\s*\\?(\\s*,\\s*\\?)*\\s*\\)', 'IN (...)'),
           '\\s+', ' ')) AS fp
  FROM mysql.slow_log
  WHERE @@log_output LIKE '%TABLE%'
    -- dbxray's session has no default database: its statements (if logged) have db = ''
    AND (db = @dbxray_db
         OR (@dbxray_db IS NULL AND db <> '' AND db NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')))
    AND sql_text NOT LIKE '/* dbxray */%'
) s
GROUP BY fp, db
ORDER BY total_exec_ms DESC
LIMIT 1000
