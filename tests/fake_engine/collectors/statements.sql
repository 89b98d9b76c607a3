-- metric: statements
-- about: statement statistics; SQLite keeps none, so the test database holds them in dbxray_statements
-- privileges: none
SELECT queryid, query, calls, total_exec_ms, max_exec_ms, rows
FROM dbxray_statements
ORDER BY total_exec_ms DESC
