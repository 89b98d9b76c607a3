-- metric: indexes
-- about: every index of the target database, one row per index: key columns in order (JSON arrays:
-- about: columns, sub_parts prefix lengths, per-prefix cardinalities, nullable), unique / primary,
-- about: method, functional key parts (expressions, column null) and INVISIBLE indexes (8.0.13+)
-- flavor: mysql
-- min_server: 80013
-- privileges: SELECT on the tables
-- order: 21
SELECT s.TABLE_SCHEMA AS `schema`,
       s.TABLE_NAME AS `table`,
       s.INDEX_NAME AS `index`,
       CONCAT('[', GROUP_CONCAT(COALESCE(JSON_QUOTE(s.COLUMN_NAME), 'null') ORDER BY s.SEQ_IN_INDEX SEPARATOR ','), ']')
         AS columns,
       CONCAT('[', GROUP_CONCAT(COALESCE(s.SUB_PART, 'null') ORDER BY s.SEQ_IN_INDEX SEPARATOR ','), ']') AS sub_parts,
       CONCAT('[', GROUP_CONCAT(COALESCE(s.CARDINALITY, 'null') ORDER BY s.SEQ_IN_INDEX SEPARATOR ','), ']')
         AS cardinalities,
       CONCAT('[', GROUP_CONCAT(IF(s.NULLABLE = 'YES', 'true', 'false') ORDER BY s.SEQ_IN_INDEX SEPARATOR ','), ']')
         AS nullable,
       CONCAT('[', GROUP_CONCAT(IF(s.COLLATION = 'D', 'true', 'false') ORDER BY s.SEQ_IN_INDEX SEPARATOR ','), ']')
         AS descending,
       CONCAT('[', GROUP_CONCAT(COALESCE(JSON_QUOTE(s.EXPRESSION), 'null') ORDER BY s.SEQ_IN_INDEX SEPARATOR ','), ']')
         AS expressions,
       COUNT(*) AS n_columns,
       MAX(s.NON_UNIQUE) = 0 AS is_unique,
       s.INDEX_NAME = 'PRIMARY' AS is_primary,
       MAX(s.INDEX_TYPE) AS method,
       MAX(s.CARDINALITY) AS cardinality,
       MAX(s.IS_VISIBLE) = 'NO' AS is_ignored
FROM information_schema.STATISTICS s
WHERE s.TABLE_SCHEMA = @dbxray_db
   OR (@dbxray_db IS NULL AND s.TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys'))
GROUP BY s.TABLE_SCHEMA, s.TABLE_NAME, s.INDEX_NAME
ORDER BY s.TABLE_SCHEMA, s.TABLE_NAME, s.INDEX_NAME
LIMIT 60000
