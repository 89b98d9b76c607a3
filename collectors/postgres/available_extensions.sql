-- metric: available_extensions
-- about: diagnostic extensions the server could load (installed packages), created here or not
-- privileges: none (catalog)
-- order: 1
SELECT name, default_version, installed_version
FROM pg_available_extensions
WHERE name IN ('pg_stat_statements', 'hypopg', 'pg_qualstats', 'pgstattuple', 'pg_buffercache', 'auto_explain')
ORDER BY name
