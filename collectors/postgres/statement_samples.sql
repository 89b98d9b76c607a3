-- metric: statement_samples
-- about: the JSON keys (only the keys: no other literal, no value) in the statements sessions of this database
-- about: are running or ran last, by query id (PostgreSQL 14+, compute_query_id): pg_stat_statements turns
-- about: the key of "attrs ->> 'status'" into $n, and the JSON-filter check needs it to write the expression
-- about: index; each entry is the quoted key, or $n when the application binds the key too
-- min_server: 140000
-- privileges: pg_read_all_stats (in pg_monitor) to see other roles' statements
-- order: 34
SELECT DISTINCT ON (a.query_id)
       a.query_id::text AS queryid,
       ARRAY(SELECT m[2]
               FROM regexp_matches(a.query, '(->>|->|#>>|#>)\s*(''(?:[^'']|'''')*''|\$[0-9]+)', 'g') AS m)
         AS json_keys
FROM pg_stat_activity a
WHERE a.datname = current_database()
  AND a.pid <> pg_backend_pid()
  AND a.query_id IS NOT NULL
  AND a.query NOT LIKE '/* dbxray */%'
  AND a.query ~ '(->|#>)'
  AND coalesce(a.application_name, '') <> 'dbxray'
ORDER BY a.query_id, a.query_start DESC NULLS LAST
LIMIT 5000
