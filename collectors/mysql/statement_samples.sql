-- metric: statement_samples
-- about: one recent text per statement digest, with its literals, from performance_schema's statement
-- about: history (events_statements_history / _history_long, when those consumers are on), for statements
-- about: that use JSON functions only: the path a digest hides as ? is still in it, and the JSON-filter check
-- about: reads it to write the generated column (other statements' literals are not collected)
-- privileges: SELECT on performance_schema
-- order: 34
SELECT h.DIGEST AS queryid,
       MAX(LEFT(h.SQL_TEXT, 4000)) AS sample
FROM (
  SELECT DIGEST, SQL_TEXT, CURRENT_SCHEMA FROM performance_schema.events_statements_history
  UNION ALL
  SELECT DIGEST, SQL_TEXT, CURRENT_SCHEMA FROM performance_schema.events_statements_history_long
) h
WHERE h.DIGEST IS NOT NULL
  AND h.SQL_TEXT IS NOT NULL
  AND h.SQL_TEXT NOT LIKE '/* dbxray */%'
  AND (h.SQL_TEXT LIKE '%json%' OR h.SQL_TEXT LIKE '%->%')
  AND (h.CURRENT_SCHEMA = @dbxray_db
       OR (@dbxray_db IS NULL AND h.CURRENT_SCHEMA IS NOT NULL
           AND h.CURRENT_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')))
GROUP BY h.DIGEST
LIMIT 5000
