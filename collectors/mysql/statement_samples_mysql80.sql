-- metric: statement_samples
-- about: the JSON paths (only the '$...' path literals: no other literal, no value) of each digest's sample
-- about: text (QUERY_SAMPLE_TEXT, MySQL 8.0.3+): a digest turns JSON_VALUE(doc, '$.k') into JSON_VALUE(doc, ?),
-- about: and the JSON-filter check needs the path to write the generated column (ICU regular expressions:
-- about: $1 is the back-reference)
-- flavor: mysql
-- min_server: 80003
-- privileges: SELECT on performance_schema
-- order: 34
SELECT DIGEST AS queryid,
       REGEXP_REPLACE(QUERY_SAMPLE_TEXT, '(?s)(?:(?!''\\$[.\\[]).)*(''\\$[.\\[][^'']*'')?', '$1') AS json_paths
FROM performance_schema.events_statements_summary_by_digest
WHERE DIGEST IS NOT NULL
  AND QUERY_SAMPLE_TEXT IS NOT NULL
  AND QUERY_SAMPLE_TEXT NOT LIKE '/* dbxray */%'
  AND QUERY_SAMPLE_TEXT LIKE '%''$%'
  AND (SCHEMA_NAME = @dbxray_db
       OR (@dbxray_db IS NULL AND SCHEMA_NAME IS NOT NULL
           AND SCHEMA_NAME NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')))
LIMIT 5000
