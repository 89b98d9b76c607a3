-- metric: generated_columns
-- about: generated (virtual or stored) columns of the target database with their expression: an indexed
-- about: generated column over JSON_VALUE(doc, '$.k') is how MySQL and MariaDB index a JSON path, so the
-- about: JSON-filter check reads which paths are already indexed that way
-- privileges: SELECT on the tables
-- order: 26
SELECT c.TABLE_SCHEMA AS `schema`,
       c.TABLE_NAME AS `table`,
       c.COLUMN_NAME AS `column`,
       c.GENERATION_EXPRESSION AS expression,
       c.EXTRA AS extra
FROM information_schema.COLUMNS c
WHERE c.GENERATION_EXPRESSION IS NOT NULL
  AND c.GENERATION_EXPRESSION <> ''
  AND (c.TABLE_SCHEMA = @dbxray_db
       OR (@dbxray_db IS NULL AND c.TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')))
LIMIT 50000
