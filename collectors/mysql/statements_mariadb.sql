-- metric: statements
-- about: normalized statements (performance_schema digests, MD5: 32 hex) of the target database:
-- about: time (picoseconds converted to ms), rows examined vs sent, no-index-used, temporary tables on
-- about: disk, sort merge passes, first and last seen; the 5000 costliest by total time
-- flavor: mariadb
-- privileges: SELECT on performance_schema (performance_schema=ON in the server config)
-- order: 10
-- normalize: query
SELECT DIGEST AS queryid,
       DIGEST_TEXT AS query,
       SCHEMA_NAME AS `schema`,
       COUNT_STAR AS calls,
       SUM_TIMER_WAIT / 1e9 AS total_exec_ms,
       AVG_TIMER_WAIT / 1e9 AS mean_exec_ms,
       MIN_TIMER_WAIT / 1e9 AS min_exec_ms,
       MAX_TIMER_WAIT / 1e9 AS max_exec_ms,
       SUM_LOCK_TIME / 1e9 AS lock_ms,
       SUM_ROWS_SENT AS `rows`,
       SUM_ROWS_EXAMINED AS rows_examined,
       SUM_ROWS_AFFECTED AS rows_affected,
       SUM_NO_INDEX_USED AS no_index_used,
       SUM_NO_GOOD_INDEX_USED AS no_good_index_used,
       SUM_SELECT_SCAN AS select_scan,
       SUM_SELECT_FULL_JOIN AS select_full_join,
       SUM_CREATED_TMP_TABLES AS tmp_tables,
       SUM_CREATED_TMP_DISK_TABLES AS tmp_disk_tables,
       SUM_SORT_MERGE_PASSES AS sort_merge_passes,
       SUM_SORT_ROWS AS sort_rows,
       SUM_ERRORS AS errors,
       SUM_WARNINGS AS warnings,
       FIRST_SEEN AS first_seen,
       LAST_SEEN AS last_seen,
       'performance_schema' AS source
FROM performance_schema.events_statements_summary_by_digest
WHERE DIGEST IS NOT NULL
  AND COUNT_STAR > 0
  -- statements run with the target database as their default schema; and those run with none
  -- (SCHEMA_NAME NULL: `SELECT ... FROM shop.orders`) whose text names it: the engine attributes them by
  -- the tables their digest names (sqlglot) and drops the rest, dbxray's own EXPLAINs and catalog reads
  AND (SCHEMA_NAME = @dbxray_db
       OR (@dbxray_db IS NULL AND SCHEMA_NAME IS NOT NULL
           AND SCHEMA_NAME NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys'))
       OR (SCHEMA_NAME IS NULL AND DIGEST_TEXT NOT LIKE 'EXPLAIN %' AND DIGEST_TEXT NOT LIKE 'ANALYZE %'
           AND DIGEST_TEXT NOT LIKE 'SHOW %'
           AND (@dbxray_db IS NULL OR LOCATE(CONCAT('`', REPLACE(@dbxray_db, '`', '``'), '` .'), DIGEST_TEXT) > 0)))
ORDER BY SUM_TIMER_WAIT DESC
LIMIT 5000
