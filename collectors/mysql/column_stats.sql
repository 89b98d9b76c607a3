-- metric: column_stats
-- about: MariaDB engine-independent column statistics (ANALYZE TABLE ... PERSISTENT FOR ...): distinct
-- about: values per column (rows / avg_frequency) orders the columns of a suggested index by selectivity
-- flavor: mariadb
-- privileges: SELECT on mysql.column_stats
-- order: 28
SELECT db_name AS `schema`,
       table_name AS `table`,
       column_name AS `column`,
       nulls_ratio,
       avg_frequency
FROM mysql.column_stats
WHERE db_name = @dbxray_db
   OR (@dbxray_db IS NULL AND db_name NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys'))
LIMIT 100000
