-- metric: settings
-- about: every server setting with its unit, source and whether a restart is pending
-- privileges: none (some values are hidden from non-superusers without pg_read_all_settings)
-- order: 3
SELECT name, setting, unit, vartype, source, context, boot_val, reset_val,
       pending_restart, short_desc
FROM pg_settings
ORDER BY name
