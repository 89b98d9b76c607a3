-- metric: index_usage
-- about: reads and writes per index since the server started (or the table was last changed) from
-- about: performance_schema, for the tables something read in that time (the others say nothing about
-- about: their indexes); the row with index NULL counts full scans and inserts of the table. One pass
-- about: over the table with a window sum (the join of the plain variant reads it twice)
-- flavor: mariadb
-- min_server: 100200
-- privileges: SELECT on performance_schema
-- order: 22
SELECT `schema`, `table`, `index`, io_count, `reads`, fetches, inserts, updates, deletes, wait_ms
FROM (
  SELECT OBJECT_SCHEMA AS `schema`,
         OBJECT_NAME AS `table`,
         INDEX_NAME AS `index`,
         COUNT_STAR AS io_count,
         COUNT_READ AS `reads`,
         COUNT_FETCH AS fetches,
         COUNT_INSERT AS inserts,
         COUNT_UPDATE AS updates,
         COUNT_DELETE AS deletes,
         SUM_TIMER_WAIT / 1e9 AS wait_ms,
         SUM(COUNT_READ) OVER (PARTITION BY OBJECT_SCHEMA, OBJECT_NAME) AS table_reads
  FROM performance_schema.table_io_waits_summary_by_index_usage
  WHERE OBJECT_TYPE = 'TABLE'
    AND (OBJECT_SCHEMA = @dbxray_db
         OR (@dbxray_db IS NULL AND OBJECT_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')))
) u
WHERE table_reads > 0
ORDER BY `schema`, `table`, `index`
LIMIT 100000
