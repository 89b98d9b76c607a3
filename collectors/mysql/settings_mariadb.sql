-- metric: settings
-- about: every global server variable (buffer pool, tmp tables, connections, slow log, ...)
-- flavor: mariadb
-- privileges: none
-- order: 2
SELECT LOWER(VARIABLE_NAME) AS name, VARIABLE_VALUE AS setting
FROM information_schema.GLOBAL_VARIABLES
ORDER BY name
