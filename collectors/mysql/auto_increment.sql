-- metric: auto_increment
-- about: AUTO_INCREMENT columns with their integer type, signedness and the largest value that type holds
-- about: (the real limit); the next value comes from the tables collector
-- privileges: SELECT on the tables
-- order: 26
SELECT c.TABLE_SCHEMA AS `schema`,
       c.TABLE_NAME AS `table`,
       c.COLUMN_NAME AS `column`,
       c.DATA_TYPE AS data_type,
       c.COLUMN_TYPE AS column_type,
       c.COLUMN_TYPE LIKE '%unsigned%' AS is_unsigned,
       CASE LOWER(c.DATA_TYPE)
         WHEN 'tinyint' THEN IF(c.COLUMN_TYPE LIKE '%unsigned%', 255, 127)
         WHEN 'smallint' THEN IF(c.COLUMN_TYPE LIKE '%unsigned%', 65535, 32767)
         WHEN 'mediumint' THEN IF(c.COLUMN_TYPE LIKE '%unsigned%', 16777215, 8388607)
         WHEN 'int' THEN IF(c.COLUMN_TYPE LIKE '%unsigned%', 4294967295, 2147483647)
         WHEN 'integer' THEN IF(c.COLUMN_TYPE LIKE '%unsigned%', 4294967295, 2147483647)
         WHEN 'bigint' THEN IF(c.COLUMN_TYPE LIKE '%unsigned%', 18446744073709551615, 9223372036854775807)
       END AS max_value
FROM information_schema.COLUMNS c
WHERE c.EXTRA LIKE '%auto_increment%'
  AND (c.TABLE_SCHEMA = @dbxray_db
       OR (@dbxray_db IS NULL AND c.TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')))
LIMIT 20000
