-- metric: status
-- about: every global status counter since startup (buffer pool reads, temporary tables, connections, ...)
-- flavor: mysql
-- min_server: 50700
-- privileges: none
-- order: 3
SELECT LOWER(VARIABLE_NAME) AS name, VARIABLE_VALUE AS value
FROM performance_schema.global_status
ORDER BY name
