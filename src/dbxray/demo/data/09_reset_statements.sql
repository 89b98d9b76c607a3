-- about: forget the seeding's own statements, so the report shows the shop's workload only
-- about: (this database's entries of pg_stat_statements; other databases are untouched).
-- scope: database
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements')
     AND current_setting('shared_preload_libraries') LIKE '%pg_stat_statements%' THEN
    PERFORM pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0);
  END IF;
END
$$;
