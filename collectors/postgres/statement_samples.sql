-- metric: statement_samples
-- about: the text of statements sessions of this database are running or ran last, with their query id
-- about: (PostgreSQL 14+, compute_query_id): the literals pg_stat_statements normalizes away (a JSON key, a
-- about: constant filter) are still in it; the design checks read them to write runnable fix SQL
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
  AND coalesce(a.application_name, '') <> 'dbxray'
ORDER BY a.query_id, a.query_start DESC NULLS LAST
LIMIT 5000
