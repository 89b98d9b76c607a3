-- metric: statement_samples
-- about: the JSON paths (only the '$...' path literals: no other literal, no value) of recent statements per
-- about: digest, from performance_schema's statement history (events_statements_history / _history_long,
-- about: which need the events_statements_current consumer): a digest turns JSON_VALUE(doc, '$.k') into
-- about: JSON_VALUE(doc, ?), and the JSON-filter check needs the path to write the generated column
-- flavor: mariadb
-- privileges: SELECT on performance_schema
-- order: 34
SELECT h.DIGEST AS queryid,
       MAX(REGEXP_REPLACE(h.SQL_TEXT, '(?s)(?:(?!''\\$[.\\[]).)*(''\\$[.\\[][^'']*'')?', '\\1')) AS json_paths
FROM (
  SELECT DIGEST, SQL_TEXT, CURRENT_SCHEMA FROM performance_schema.events_statements_history
  UNION ALL
  SELECT DIGEST, SQL_TEXT, CURRENT_SCHEMA FROM performance_schema.events_statements_history_long
) h
WHERE h.DIGEST IS NOT NULL
  AND h.SQL_TEXT IS NOT NULL
  AND h.SQL_TEXT NOT LIKE '/* dbxray */%'
  AND h.SQL_TEXT LIKE '%''$%'
  AND (h.CURRENT_SCHEMA = @dbxray_db
       OR (@dbxray_db IS NULL AND h.CURRENT_SCHEMA IS NOT NULL
           AND h.CURRENT_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')))
GROUP BY h.DIGEST
LIMIT 5000
