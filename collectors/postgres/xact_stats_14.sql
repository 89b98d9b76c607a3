-- metric: xact_stats
-- about: how this database's transactions end and wait, as cumulative counters since the statistics reset:
-- about: commits, rollbacks, deadlocks, recovery conflicts, block reads and their time (track_io_timing),
-- about: and (PostgreSQL 14+) the time sessions spent in total, active and idle inside a transaction, and how
-- about: sessions ended; the transaction-pattern and caching checks turn them into rates
-- min_server: 140000
-- privileges: none
-- order: 33
SELECT d.datname AS database,
       d.xact_commit::bigint AS xact_commit,
       d.xact_rollback::bigint AS xact_rollback,
       d.deadlocks::bigint AS deadlocks,
       d.conflicts::bigint AS conflicts,
       d.blks_read::bigint AS blks_read,
       d.blks_hit::bigint AS blks_hit,
       d.blk_read_time::float8 AS blk_read_ms,
       d.session_time::float8 AS session_ms,
       d.active_time::float8 AS active_ms,
       d.idle_in_transaction_time::float8 AS idle_in_transaction_ms,
       d.sessions::bigint AS sessions,
       d.sessions_abandoned::bigint AS sessions_abandoned,
       d.sessions_fatal::bigint AS sessions_fatal,
       d.sessions_killed::bigint AS sessions_killed,
       d.stats_reset,
       extract(epoch FROM now() - coalesce(d.stats_reset, pg_postmaster_start_time()))::float8 AS stats_age_s
FROM pg_stat_database d
WHERE d.datname = current_database()
