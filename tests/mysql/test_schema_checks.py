"""Schema checks: tables without a primary key, AUTO_INCREMENT against its column type."""

from __future__ import annotations

from tests.mysql.servers import findings, report


def test_missing_primary_key_hit_and_near_miss(my_db):
    my, db = my_db
    my.run(db, """
        CREATE TABLE audit_log (ts DATETIME, msg VARCHAR(200), id INT);
        INSERT INTO audit_log VALUES (NOW(), 'x', 1);
        CREATE TABLE tagged (code INT NOT NULL, label VARCHAR(20), UNIQUE KEY u_code (code));
        CREATE TABLE `Order Items` (`it's` INT PRIMARY KEY, qty INT);
    """)
    rep = report(my.dsn(db))
    by_table = {f.object["table"]: f for f in findings(rep, "missing_primary_key")}
    assert set(by_table) == {"audit_log", "tagged"}
    log = by_table["audit_log"]
    assert log.severity == "warning"
    # `id` already exists in the table, so the surrogate key gets another name
    assert log.sql == (f"ALTER TABLE `{db}`.`audit_log` ADD COLUMN `row_id` BIGINT UNSIGNED NOT NULL "
                       "AUTO_INCREMENT PRIMARY KEY FIRST;")
    tagged = by_table["tagged"]
    assert tagged.severity == "info" and tagged.evidence["clustered_on"] == "u_code"
    for f in by_table.values():
        my.run(db, f.sql)
    assert not findings(report(my.dsn(db)), "missing_primary_key")


def test_auto_increment_near_its_type_limit_signed_and_unsigned(my_db):
    my, db = my_db
    my.run(db, """
        CREATE TABLE counters (id INT AUTO_INCREMENT PRIMARY KEY, v INT);
        ALTER TABLE counters AUTO_INCREMENT = 2000000000;
        INSERT INTO counters (v) VALUES (1);
        CREATE TABLE flags (id TINYINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, v INT);
        ALTER TABLE flags AUTO_INCREMENT = 200;
        INSERT INTO flags (v) VALUES (1);
        CREATE TABLE big (id BIGINT AUTO_INCREMENT PRIMARY KEY, v INT);
        ALTER TABLE big AUTO_INCREMENT = 2000000000;
        INSERT INTO big (v) VALUES (1);
        CREATE TABLE half (id SMALLINT AUTO_INCREMENT PRIMARY KEY, v INT);
        ALTER TABLE half AUTO_INCREMENT = 10000;
        INSERT INTO half (v) VALUES (1);
    """)
    rep = report(my.dsn(db))
    hits = {f.object["table"]: f for f in findings(rep, "sequence_exhaustion")}
    assert set(hits) == {"counters", "flags"}  # big (BIGINT) and half (30% of SMALLINT) are fine
    c = hits["counters"]
    assert c.severity == "critical" and c.evidence["max_value"] == 2147483647
    assert 93.1 < c.evidence["used_pct"] < 93.2
    f = hits["flags"]
    assert f.severity == "warning" and f.evidence["unsigned"] and f.evidence["max_value"] == 255
    assert f.object["columns"] == ["id"]
    my.run(db, c.sql)
    assert my.scalar(f"SELECT COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '{db}' "
                     "AND TABLE_NAME = 'counters' AND COLUMN_NAME = 'id'") == "bigint(20) unsigned"
    rep = report(my.dsn(db))
    assert {f.object["table"] for f in findings(rep, "sequence_exhaustion")} == {"flags"}
