-- metric: settings
-- about: the pragmas the checks read, one row per pragma (name, setting)
-- privileges: none
SELECT 'journal_mode' AS name, journal_mode AS setting FROM pragma_journal_mode
UNION ALL
SELECT 'foreign_keys', CAST(foreign_keys AS TEXT) FROM pragma_foreign_keys
