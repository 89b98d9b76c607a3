-- metric: settings
-- about: every global server variable (buffer pool, tmp tables, connections, slow log, ...)
-- flavor: mysql
-- min_server: 50700
-- privileges: none (performance_schema.global_variables is readable by every account)
-- order: 2
SELECT LOWER(VARIABLE_NAME) AS name, VARIABLE_VALUE AS setting
FROM performance_schema.global_variables
ORDER BY name
