-- metric: auth_plugins
-- about: authentication plugins: which are active and which could be installed (ed25519, parsec, unix_socket)
-- flavor: mariadb
-- privileges: none
-- order: 61
SELECT PLUGIN_NAME AS name, PLUGIN_STATUS AS status, PLUGIN_LIBRARY AS library
FROM information_schema.ALL_PLUGINS
WHERE PLUGIN_TYPE = 'AUTHENTICATION'
ORDER BY PLUGIN_NAME
