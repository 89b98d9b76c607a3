-- metric: hba_rules
-- about: client authentication rules (pg_hba.conf) as the server parsed them
-- privileges: superuser (pg_hba_file_rules is not readable by other roles)
-- needs: superuser
-- order: 36
SELECT line_number, type, database, user_name, address, netmask, auth_method, error
FROM pg_hba_file_rules
ORDER BY line_number
