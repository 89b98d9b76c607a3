-- metric: index_usage
-- about: reads and writes per index since the server started (or the table was last changed) from
-- about: performance_schema; the row with index NULL counts full scans and inserts of the table
-- privileges: SELECT on performance_schema
-- order: 22
SELECT OBJECT_SCHEMA AS `schema`,
       OBJECT_NAME AS `table`,
       INDEX_NAME AS `index`,
       COUNT_STAR AS io_count,
       COUNT_READ AS `reads`,
       COUNT_FETCH AS fetches,
       COUNT_INSERT AS inserts,
       COUNT_UPDATE AS updates,
       COUNT_DELETE AS deletes,
       SUM_TIMER_WAIT / 1e9 AS wait_ms
FROM performance_schema.table_io_waits_summary_by_index_usage
WHERE OBJECT_TYPE = 'TABLE'
  AND (OBJECT_SCHEMA = @dbxray_db
       OR (@dbxray_db IS NULL AND OBJECT_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')))
ORDER BY OBJECT_SCHEMA, OBJECT_NAME, INDEX_NAME
LIMIT 100000
