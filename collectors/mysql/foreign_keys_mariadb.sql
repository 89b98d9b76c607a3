-- metric: foreign_keys
-- about: InnoDB foreign keys from the InnoDB dictionary (INNODB_SYS_FOREIGN*: no table is opened, unlike
-- about: KEY_COLUMN_USAGE, which costs ~1 s per 5,000 tables): child columns in order (JSON array). Names
-- about: are as InnoDB stores them, "db/table" in filename encoding (a space is @0020): the checks
-- about: decode them and keep the target database's
-- flavor: mariadb
-- min_server: 100000
-- privileges: PROCESS
-- order: 27
SELECT f.ID AS id,
       f.FOR_NAME AS for_name,
       f.REF_NAME AS ref_name,
       CONCAT('[', GROUP_CONCAT(JSON_QUOTE(c.FOR_COL_NAME) ORDER BY c.POS SEPARATOR ','), ']') AS columns,
       CONCAT('[', GROUP_CONCAT(JSON_QUOTE(c.REF_COL_NAME) ORDER BY c.POS SEPARATOR ','), ']') AS referenced_columns
FROM information_schema.INNODB_SYS_FOREIGN f
JOIN information_schema.INNODB_SYS_FOREIGN_COLS c ON c.ID = f.ID
GROUP BY f.ID, f.FOR_NAME, f.REF_NAME
LIMIT 50000
