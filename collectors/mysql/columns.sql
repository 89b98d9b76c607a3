-- metric: columns
-- about: one row per table of the target database: its columns in order as a JSON array of
-- about: [name, data_type, column_type, nullable, max_length, charset] (one row per table, not per column:
-- about: 6x fewer rows for the pure-Python driver on big catalogs), and the AUTO_INCREMENT column with
-- about: the largest value its integer type holds, signed or unsigned (the real limit); suggested indexes
-- about: use the types (prefix lengths for TEXT, sample values for EXPLAIN); bounded to 20000 tables
-- privileges: SELECT on the tables
-- order: 26
SELECT c.TABLE_SCHEMA AS `schema`,
       c.TABLE_NAME AS `table`,
       CONCAT('[', GROUP_CONCAT(JSON_ARRAY(c.COLUMN_NAME, c.DATA_TYPE, c.COLUMN_TYPE, c.IS_NULLABLE = 'YES',
                                           c.CHARACTER_MAXIMUM_LENGTH, c.CHARACTER_SET_NAME)
                                ORDER BY c.ORDINAL_POSITION SEPARATOR ','), ']') AS columns,
       MAX(IF(c.EXTRA LIKE '%auto_increment%', c.COLUMN_NAME, NULL)) AS ai_column,
       MAX(IF(c.EXTRA LIKE '%auto_increment%', c.COLUMN_TYPE, NULL)) AS ai_column_type,
       MAX(IF(c.EXTRA LIKE '%auto_increment%', c.DATA_TYPE, NULL)) AS ai_data_type,
       MAX(IF(c.EXTRA LIKE '%auto_increment%', c.IS_NULLABLE = 'YES', NULL)) AS ai_nullable,
       MAX(IF(c.EXTRA LIKE '%auto_increment%', c.COLUMN_TYPE LIKE '%unsigned%', NULL)) AS ai_unsigned,
       MAX(IF(c.EXTRA LIKE '%auto_increment%',
              CASE LOWER(c.DATA_TYPE)
                WHEN 'tinyint' THEN IF(c.COLUMN_TYPE LIKE '%unsigned%', 255, 127)
                WHEN 'smallint' THEN IF(c.COLUMN_TYPE LIKE '%unsigned%', 65535, 32767)
                WHEN 'mediumint' THEN IF(c.COLUMN_TYPE LIKE '%unsigned%', 16777215, 8388607)
                WHEN 'int' THEN IF(c.COLUMN_TYPE LIKE '%unsigned%', 4294967295, 2147483647)
                WHEN 'integer' THEN IF(c.COLUMN_TYPE LIKE '%unsigned%', 4294967295, 2147483647)
                WHEN 'bigint' THEN IF(c.COLUMN_TYPE LIKE '%unsigned%', 18446744073709551615, 9223372036854775807)
              END, NULL)) AS ai_max_value
FROM information_schema.COLUMNS c
WHERE c.TABLE_SCHEMA = @dbxray_db
   OR (@dbxray_db IS NULL AND c.TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys'))
GROUP BY c.TABLE_SCHEMA, c.TABLE_NAME
ORDER BY c.TABLE_SCHEMA, c.TABLE_NAME
LIMIT 20000
