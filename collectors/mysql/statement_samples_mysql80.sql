-- metric: statement_samples
-- about: one text per statement digest with its literals (QUERY_SAMPLE_TEXT, MySQL 8.0.3+ keeps it in the
-- about: digest table), for statements that use JSON functions only: the path a digest hides as ? is still in
-- about: it, and the JSON-filter check reads it to write the generated column (other literals are not collected)
-- flavor: mysql
-- min_server: 80003
-- privileges: SELECT on performance_schema
-- order: 34
SELECT DIGEST AS queryid,
       LEFT(QUERY_SAMPLE_TEXT, 4000) AS sample
FROM performance_schema.events_statements_summary_by_digest
WHERE DIGEST IS NOT NULL
  AND QUERY_SAMPLE_TEXT IS NOT NULL
  AND QUERY_SAMPLE_TEXT NOT LIKE '/* dbxray */%'
  AND (QUERY_SAMPLE_TEXT LIKE '%json%' OR QUERY_SAMPLE_TEXT LIKE '%->%')
  AND (SCHEMA_NAME = @dbxray_db
       OR (@dbxray_db IS NULL AND SCHEMA_NAME IS NOT NULL
           AND SCHEMA_NAME NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')))
LIMIT 5000
