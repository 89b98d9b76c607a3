-- metric: database
-- about: this database's counters (cache hits, temp files, deadlocks, rollbacks), age and size,
-- about: and the server's connection limits
-- privileges: none
-- order: 32
SELECT d.datname AS database,
       d.numbackends::int AS backends,
       d.xact_commit::bigint AS xact_commit,
       d.xact_rollback::bigint AS xact_rollback,
       d.blks_read::bigint AS blks_read,
       d.blks_hit::bigint AS blks_hit,
       d.tup_returned::bigint AS tup_returned,
       d.tup_fetched::bigint AS tup_fetched,
       d.temp_files::bigint AS temp_files,
       d.temp_bytes::bigint AS temp_bytes,
       d.deadlocks::bigint AS deadlocks,
       d.conflicts::bigint AS conflicts,
       d.checksum_failures::bigint AS checksum_failures,
       d.stats_reset,
       extract(epoch FROM now() - coalesce(d.stats_reset, pg_postmaster_start_time()))::float8 AS stats_age_s,
       age(db.datfrozenxid)::bigint AS datfrozenxid_age,
       mxid_age(db.datminmxid)::bigint AS datminmxid_age,
       pg_database_size(d.datid)::bigint AS size_bytes,
       current_setting('max_connections')::int AS max_connections,
       current_setting('superuser_reserved_connections')::int AS reserved_connections,
       (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int AS client_connections,
       (SELECT count(*) FROM pg_stat_activity
         WHERE backend_type = 'client backend' AND state = 'idle in transaction')::int AS idle_in_transaction
FROM pg_stat_database d
JOIN pg_database db ON db.oid = d.datid
WHERE d.datname = current_database()
