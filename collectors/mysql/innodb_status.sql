-- metric: innodb_status
-- about: SHOW ENGINE INNODB STATUS: its LATEST DETECTED DEADLOCK section names both transactions of the
-- about: last deadlock, their statements, the rows each held and waited for (one row, the whole text)
-- privileges: PROCESS
-- order: 36
SHOW ENGINE INNODB STATUS
