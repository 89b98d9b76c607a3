-- about: stock-level churn on the table whose autovacuum is off, a database-wide work_mem
-- about: that is too small for the reports, and fresh planner statistics.
-- scope: database

-- PLANTED (vacuum_overdue, table_bloat): every stock row rewritten six times, never vacuumed.
UPDATE inventory SET quantity = quantity - 1, updated_at = now();
UPDATE inventory SET quantity = quantity - 1, updated_at = now();
UPDATE inventory SET quantity = quantity - 1, updated_at = now();
UPDATE inventory SET quantity = quantity - 1, updated_at = now();
UPDATE inventory SET quantity = quantity - 1, updated_at = now();
UPDATE inventory SET quantity = quantity - 1, updated_at = now();

-- PLANTED (temp_spill, setting): work_mem lowered for the whole database "to save memory";
-- the revenue reports now sort and hash on disk.
DO $$
BEGIN
  EXECUTE format('ALTER DATABASE %I SET work_mem = %L', current_database(), '1MB');
END
$$;

-- Statistics for the planner (and for the bloat estimate, which reads pg_stats and the page
-- counts ANALYZE records). Flush this session's pending table counters first (PostgreSQL 15+
-- batches them), so the churn above is counted before ANALYZE, not after it.
DO $$
BEGIN
  IF to_regproc('pg_stat_force_next_flush') IS NOT NULL THEN
    PERFORM pg_stat_force_next_flush();
  END IF;
END
$$;

ANALYZE;
