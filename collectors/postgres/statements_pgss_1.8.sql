-- metric: statements
-- about: normalized statements of this database from pg_stat_statements 1.8+ (plan and execution time)
-- extension: pg_stat_statements >= 1.8
-- privileges: pg_read_all_stats (in pg_monitor) to see the text of other roles' statements
-- order: 10
-- normalize: query
SELECT s.queryid::text AS queryid,
       r.rolname AS role,
       true AS toplevel,
       left(s.query, 8000) AS query,
       s.calls::bigint AS calls,
       s.total_exec_time::float8 AS total_exec_ms,
       s.mean_exec_time::float8 AS mean_exec_ms,
       s.max_exec_time::float8 AS max_exec_ms,
       s.stddev_exec_time::float8 AS stddev_exec_ms,
       s.plans::bigint AS plans,
       s.total_plan_time::float8 AS total_plan_ms,
       s.rows::bigint AS rows,
       s.shared_blks_hit::bigint AS shared_blks_hit,
       s.shared_blks_read::bigint AS shared_blks_read,
       s.shared_blks_dirtied::bigint AS shared_blks_dirtied,
       s.shared_blks_written::bigint AS shared_blks_written,
       s.temp_blks_read::bigint AS temp_blks_read,
       s.temp_blks_written::bigint AS temp_blks_written,
       s.blk_read_time::float8 AS blk_read_ms,
       s.blk_write_time::float8 AS blk_write_ms,
       s.wal_bytes::float8 AS wal_bytes,
       NULL::float8::float8 AS jit_ms,
       NULL::timestamptz AS stats_since
FROM pg_stat_statements s
LEFT JOIN pg_roles r ON r.oid = s.userid
WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND s.query NOT LIKE '/* dbxray */%'
  AND s.calls > 0
