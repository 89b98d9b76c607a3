-- metric: index_usage
-- about: reads and writes per index since the server started (or the table was last changed) from
-- about: performance_schema, for the tables something read in that time (the others say nothing about
-- about: their indexes); the row with index NULL counts full scans and inserts of the table
-- privileges: SELECT on performance_schema
-- order: 22
SELECT u.OBJECT_SCHEMA AS `schema`,
       u.OBJECT_NAME AS `table`,
       u.INDEX_NAME AS `index`,
       u.COUNT_STAR AS io_count,
       u.COUNT_READ AS `reads`,
       u.COUNT_FETCH AS fetches,
       u.COUNT_INSERT AS inserts,
       u.COUNT_UPDATE AS updates,
       u.COUNT_DELETE AS deletes,
       u.SUM_TIMER_WAIT / 1e9 AS wait_ms
FROM performance_schema.table_io_waits_summary_by_index_usage u
JOIN (
  SELECT OBJECT_SCHEMA, OBJECT_NAME
  FROM performance_schema.table_io_waits_summary_by_index_usage
  WHERE OBJECT_TYPE = 'TABLE'
    AND (OBJECT_SCHEMA = @dbxray_db
         OR (@dbxray_db IS NULL AND OBJECT_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')))
  GROUP BY OBJECT_SCHEMA, OBJECT_NAME
  HAVING SUM(COUNT_READ) > 0
) r ON r.OBJECT_SCHEMA = u.OBJECT_SCHEMA AND r.OBJECT_NAME = u.OBJECT_NAME
WHERE u.OBJECT_TYPE = 'TABLE'
ORDER BY u.OBJECT_SCHEMA, u.OBJECT_NAME, u.INDEX_NAME
LIMIT 100000
