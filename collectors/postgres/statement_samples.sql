-- metric: statement_samples
-- about: the text of statements sessions of this database are running or ran last, with their query id
-- about: (PostgreSQL 14+, compute_query_id), for statements that use JSON operators only: the key
-- about: pg_stat_statements normalizes to $n is still in it, and the JSON-filter check reads it to write the
-- about: expression index (other statements' literals are not collected)
-- min_server: 140000
-- privileges: pg_read_all_stats (in pg_monitor) to see other roles' statements
-- order: 34
SELECT DISTINCT ON (a.query_id)
       a.query_id::text AS queryid,
       left(a.query, 4000) AS sample
FROM pg_stat_activity a
WHERE a.datname = current_database()
  AND a.pid <> pg_backend_pid()
  AND a.query_id IS NOT NULL
  AND a.query NOT LIKE '/* dbxray */%'
  AND a.query ~ '(->|#>|@>|@\?|@@|\?\||\?&| \? )'
  AND coalesce(a.application_name, '') <> 'dbxray'
ORDER BY a.query_id, a.query_start DESC NULLS LAST
LIMIT 5000
