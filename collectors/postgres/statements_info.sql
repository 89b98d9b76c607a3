-- metric: statements_info
-- about: when pg_stat_statements was last reset and how many entries it has had to evict
-- extension: pg_stat_statements >= 1.9
-- privileges: pg_read_all_stats
-- order: 11
SELECT i.dealloc::bigint AS dealloc,
       i.stats_reset,
       current_setting('pg_stat_statements.max')::int AS max_entries,
       (SELECT count(*) FROM pg_stat_statements(false))::int AS entries
FROM pg_stat_statements_info i
