-- metric: database
-- about: figures for the report header in the shape the PostgreSQL report uses: the target database's
-- about: size (InnoDB persistent statistics, no table scan), buffer-pool hits and reads, on-disk temporary
-- about: tables, deadlocks, commits, connections, and the statistics age (= uptime: counters start at boot)
-- flavor: mysql
-- min_server: 50700
-- privileges: SELECT on mysql.innodb_table_stats (size only)
-- order: 5
SELECT @dbxray_db AS datname,
       (SELECT CAST(SUM(clustered_index_size + sum_of_other_index_sizes) * @@innodb_page_size AS UNSIGNED)
          FROM mysql.innodb_table_stats
         WHERE database_name = @dbxray_db
            OR (@dbxray_db IS NULL AND database_name NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')))
         AS size_bytes,
       s.read_requests - s.disk_reads AS blks_hit,
       s.disk_reads AS blks_read,
       s.tmp_disk_tables AS temp_files,
       NULL AS temp_bytes,
       s.deadlocks AS deadlocks,
       s.commits AS xact_commit,
       s.rollbacks AS xact_rollback,
       NOW() - INTERVAL s.uptime SECOND AS stats_reset,
       s.uptime AS stats_age_s,
       s.threads_connected AS client_connections,
       @@max_connections AS max_connections
FROM (
  SELECT CAST(MAX(CASE WHEN LOWER(VARIABLE_NAME) = 'innodb_buffer_pool_read_requests' THEN VARIABLE_VALUE END)
              AS SIGNED) AS read_requests,
         CAST(MAX(CASE WHEN LOWER(VARIABLE_NAME) = 'innodb_buffer_pool_reads' THEN VARIABLE_VALUE END)
              AS SIGNED) AS disk_reads,
         CAST(MAX(CASE WHEN LOWER(VARIABLE_NAME) = 'created_tmp_disk_tables' THEN VARIABLE_VALUE END)
              AS SIGNED) AS tmp_disk_tables,
         CAST(MAX(CASE WHEN LOWER(VARIABLE_NAME) = 'innodb_deadlocks' THEN VARIABLE_VALUE END)
              AS SIGNED) AS deadlocks,
         CAST(MAX(CASE WHEN LOWER(VARIABLE_NAME) = 'com_commit' THEN VARIABLE_VALUE END)
              AS SIGNED) AS commits,
         CAST(MAX(CASE WHEN LOWER(VARIABLE_NAME) = 'com_rollback' THEN VARIABLE_VALUE END)
              AS SIGNED) AS rollbacks,
         CAST(MAX(CASE WHEN LOWER(VARIABLE_NAME) = 'uptime' THEN VARIABLE_VALUE END)
              AS SIGNED) AS uptime,
         CAST(MAX(CASE WHEN LOWER(VARIABLE_NAME) = 'threads_connected' THEN VARIABLE_VALUE END)
              AS SIGNED) AS threads_connected
  FROM performance_schema.global_status
) s
