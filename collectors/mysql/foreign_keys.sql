-- metric: foreign_keys
-- about: foreign keys of the target database with their child columns in order (JSON array): an index
-- about: that is the only one starting with those columns cannot be dropped
-- privileges: SELECT on the tables
-- order: 27
SELECT k.TABLE_SCHEMA AS `schema`,
       k.TABLE_NAME AS `table`,
       k.CONSTRAINT_NAME AS `constraint`,
       CONCAT('[', GROUP_CONCAT(JSON_QUOTE(k.COLUMN_NAME) ORDER BY k.ORDINAL_POSITION SEPARATOR ','), ']') AS columns,
       MAX(k.REFERENCED_TABLE_SCHEMA) AS referenced_schema,
       MAX(k.REFERENCED_TABLE_NAME) AS referenced_table,
       CONCAT('[', GROUP_CONCAT(JSON_QUOTE(k.REFERENCED_COLUMN_NAME) ORDER BY k.ORDINAL_POSITION SEPARATOR ','), ']')
         AS referenced_columns
FROM information_schema.KEY_COLUMN_USAGE k
WHERE k.REFERENCED_TABLE_NAME IS NOT NULL
  AND (k.TABLE_SCHEMA = @dbxray_db
       OR (@dbxray_db IS NULL AND k.TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')))
GROUP BY k.TABLE_SCHEMA, k.TABLE_NAME, k.CONSTRAINT_NAME
LIMIT 50000
