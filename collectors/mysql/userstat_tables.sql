-- metric: userstat_tables
-- about: MariaDB user statistics (userstat=1): rows read and changed per table since userstat was
-- about: enabled or flushed
-- flavor: mariadb
-- privileges: none (rows of tables the account may see)
-- order: 25
SELECT TABLE_SCHEMA AS `schema`,
       TABLE_NAME AS `table`,
       ROWS_READ AS rows_read,
       ROWS_CHANGED AS rows_changed,
       ROWS_CHANGED_X_INDEXES AS rows_changed_x_indexes
FROM information_schema.TABLE_STATISTICS
WHERE TABLE_SCHEMA = @dbxray_db
   OR (@dbxray_db IS NULL AND TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys'))
LIMIT 100000
