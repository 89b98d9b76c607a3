-- metric: auth_plugins
-- about: authentication plugins the server has active (caching_sha2_password is built into MySQL 8)
-- flavor: mysql
-- privileges: none
-- order: 61
SELECT PLUGIN_NAME AS name, PLUGIN_STATUS AS status, PLUGIN_LIBRARY AS library
FROM information_schema.PLUGINS
WHERE PLUGIN_TYPE = 'AUTHENTICATION'
ORDER BY PLUGIN_NAME
