-- metric: columns
-- about: columns of the target database's tables: type, nullability, length, AUTO_INCREMENT and, for integer
-- about: types, the largest value the type holds (signed or unsigned: the real AUTO_INCREMENT limit);
-- about: suggested indexes use the types (prefix lengths for TEXT) and EXPLAIN samples; bounded to 200000
-- privileges: SELECT on the tables
-- order: 26
SELECT c.TABLE_SCHEMA AS `schema`,
       c.TABLE_NAME AS `table`,
       c.COLUMN_NAME AS `column`,
       c.ORDINAL_POSITION AS position,
       c.DATA_TYPE AS data_type,
       c.COLUMN_TYPE AS column_type,
       c.IS_NULLABLE = 'YES' AS is_nullable,
       c.CHARACTER_MAXIMUM_LENGTH AS max_length,
       c.CHARACTER_SET_NAME AS charset,
       c.EXTRA LIKE '%auto_increment%' AS is_auto_increment,
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
WHERE c.TABLE_SCHEMA = @dbxray_db
   OR (@dbxray_db IS NULL AND c.TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys'))
ORDER BY c.TABLE_SCHEMA, c.TABLE_NAME, c.ORDINAL_POSITION
LIMIT 200000
