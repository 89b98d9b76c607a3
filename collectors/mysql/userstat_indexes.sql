-- metric: userstat_indexes
-- about: MariaDB user statistics (userstat=1, dynamic, no restart): rows read through each index since
-- about: userstat was enabled or flushed; an index absent here has not been read in that time
-- flavor: mariadb
-- privileges: none (rows of tables the account may see)
-- order: 24
SELECT TABLE_SCHEMA AS `schema`,
       TABLE_NAME AS `table`,
       INDEX_NAME AS `index`,
       ROWS_READ AS rows_read
FROM information_schema.INDEX_STATISTICS
WHERE TABLE_SCHEMA = @dbxray_db
   OR (@dbxray_db IS NULL AND TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys'))
LIMIT 100000
