-- metric: security
-- about: settings the security review needs with their real NULLs (secure_file_priv NULL disables file
-- about: import/export, '' allows every directory: information_schema.GLOBAL_VARIABLES shows both as ''),
-- about: and the account dbxray connects as
-- privileges: none
-- order: 62
SELECT @@secure_file_priv AS secure_file_priv,
       @@secure_file_priv IS NULL AS secure_file_priv_disabled,
       CURRENT_USER() AS account
