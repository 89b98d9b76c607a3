-- metric: innodb_data
-- about: the size of all InnoDB data and indexes on the server from the persistent statistics (cheap,
-- about: unlike a server-wide information_schema.TABLES scan): what the buffer pool is compared with
-- privileges: SELECT on mysql.innodb_table_stats
-- order: 29
SELECT COUNT(*) AS tables,
       CAST(SUM(n_rows) AS UNSIGNED) AS rows_estimate,
       CAST(SUM(clustered_index_size + sum_of_other_index_sizes) * @@innodb_page_size AS UNSIGNED)
         AS innodb_bytes
FROM mysql.innodb_table_stats
