-- metric: status
-- about: every global status counter since startup (buffer pool reads, temporary tables, connections, ...)
-- flavor: mariadb
-- privileges: none
-- order: 3
SELECT LOWER(VARIABLE_NAME) AS name, VARIABLE_VALUE AS value
FROM information_schema.GLOBAL_STATUS
ORDER BY name
