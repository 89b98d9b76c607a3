-- metric: xact_stats
-- about: how this database's transactions end and wait, as cumulative counters since the statistics reset:
-- about: commits, rollbacks, deadlocks, recovery conflicts, block reads and their time (track_io_timing);
-- about: the transaction-pattern and caching checks turn them into rates (over the interval with a baseline)
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
       NULL::float8 AS session_ms,
       NULL::float8 AS active_ms,
       NULL::float8 AS idle_in_transaction_ms,
       NULL::bigint AS sessions,
       NULL::bigint AS sessions_abandoned,
       NULL::bigint AS sessions_fatal,
       NULL::bigint AS sessions_killed,
       d.stats_reset,
       extract(epoch FROM now() - coalesce(d.stats_reset, pg_postmaster_start_time()))::float8 AS stats_age_s
FROM pg_stat_database d
WHERE d.datname = current_database()
