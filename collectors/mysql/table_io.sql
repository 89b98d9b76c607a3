-- metric: table_io
-- about: rows read, inserted, updated and deleted per table since the server started (performance_schema
-- about: table I/O, every table, including those nothing reads): the design and caching checks compare each
-- about: table's writes with its reads (write-heavy tables, tables that rarely change)
-- privileges: SELECT on performance_schema
-- order: 24
SELECT OBJECT_SCHEMA AS `schema`,
       OBJECT_NAME AS `table`,
       COUNT_FETCH AS fetches,
       COUNT_INSERT AS inserts,
       COUNT_UPDATE AS updates,
       COUNT_DELETE AS deletes,
       SUM_TIMER_WAIT / 1e9 AS wait_ms
FROM performance_schema.table_io_waits_summary_by_table
WHERE OBJECT_TYPE = 'TABLE'
  AND (OBJECT_SCHEMA = @dbxray_db
       OR (@dbxray_db IS NULL AND OBJECT_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')))
ORDER BY OBJECT_SCHEMA, OBJECT_NAME
LIMIT 100000
