-- metric: innodb_metrics
-- about: InnoDB's lock counters since startup (deadlocks, lock wait timeouts, row lock waits): MySQL 8 has no
-- about: Innodb_deadlocks status variable, its count is the lock_deadlocks metric (enabled by default)
-- privileges: PROCESS
-- order: 37
SELECT NAME AS name, `COUNT` AS value, SUBSYSTEM AS subsystem
FROM information_schema.INNODB_METRICS
WHERE NAME IN ('lock_deadlocks', 'lock_timeouts', 'lock_row_lock_waits', 'lock_row_lock_time',
               'lock_deadlock_false_positives', 'lock_deadlock_rounds')
ORDER BY NAME
