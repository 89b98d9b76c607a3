-- metric: index_sizes
-- about: size of each InnoDB index of more than one page, from the persistent statistics (pages x page
-- about: size): single-page indexes, most of a big catalog, are left out and counted as one page by the
-- about: checks; partitions appear as table#P#part and are summed; no INNODB_BUFFER_PAGE, ever
-- privileges: SELECT on mysql.innodb_index_stats
-- order: 23
SELECT database_name AS `schema`,
       table_name AS `table`,
       index_name AS `index`,
       stat_value * @@innodb_page_size AS index_bytes
FROM mysql.innodb_index_stats
WHERE stat_name = 'size' AND stat_value > 1
  AND (database_name = @dbxray_db
       OR (@dbxray_db IS NULL AND database_name NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')))
LIMIT 100000
