"""Statements run without a default database (``SELECT … FROM shop.orders``): performance_schema files
them under SCHEMA_NAME NULL. Before, the statements collector kept only the target database's schema,
so an application that qualifies its tables and never runs ``USE`` had no statement findings at all.
Now they are attributed by the tables their digest names, as a DBA reading the digest would."""

from __future__ import annotations

import pandas as pd
import pymysql

from dbxray.engines.mysql.attribution import ATTRIBUTED, attribute_statements, schemas_named
from tests.mysql.servers import findings, report


def test_schemas_named_by_real_digest_texts():
    # MariaDB 10.11 and MySQL 8 print qualified names as `db` . `table` in DIGEST_TEXT
    assert schemas_named("SELECT COUNT ( * ) FROM `t1` . `orders` `o` WHERE `o` . `customer_id` = ?") == ["t1"]
    assert schemas_named("SELECT * FROM `sys` . `schema_unused_indexes`") == ["sys"]
    assert schemas_named("SELECT `a` . `x` FROM `shop` . `a` JOIN `crm` . `b` ON `a` . `id` = `b` . `id`") == [
        "shop", "crm"]
    assert schemas_named("UPDATE `shop` . `stock` SET `qty` = `qty` - ? WHERE `id` IN (...)") == ["shop"]
    assert schemas_named("SELECT ? ") == []
    # cut short by performance_schema_max_digest_length: the qualifiers still visible are read
    assert schemas_named("SELECT `a` , `b` , `c` FROM `shop` . `orders` WHERE `a` = ? AND `b` IN (...) AND ...") \
        == ["shop"]


def test_attribution_keeps_the_target_and_drops_the_rest():
    frame = pd.DataFrame({
        "queryid": ["a", "b", "c", "d", "e"],
        "schema": ["shop", None, None, None, None],
        "query": ["SELECT * FROM `orders` WHERE `id` = ?",
                  "SELECT * FROM `shop` . `orders` WHERE `customer_id` = ?",
                  "SELECT * FROM `crm` . `leads`",
                  "SELECT `TABLE_NAME` FROM `information_schema` . `TABLES` WHERE `TABLE_SCHEMA` = ?",
                  "SELECT ?"],
    })
    out = attribute_statements(frame, "shop")
    assert list(out["queryid"]) == ["a", "b"]
    assert list(out["schema"]) == ["shop", "shop"] and list(out["schema_source"]) == [None, ATTRIBUTED]
    whole = attribute_statements(frame, None)  # whole server: each to the database it names
    assert dict(zip(whole["queryid"], whole["schema"])) == {"a": "shop", "b": "shop", "c": "crm"}


def test_live_statements_without_a_default_database_are_reported(my_db):
    """A real MariaDB: an application without USE scans shop.orders by an unindexed column. The report of
    that database now counts the statement (slow/full-scan findings and the missing index); a statement that
    names another database is not attributed to this one (near miss)."""
    my, db = my_db
    my.run(db, """
        CREATE TABLE orders (id INT PRIMARY KEY, customer_id INT, total INT);
        INSERT INTO orders SELECT seq, seq % 5000, seq % 100 FROM seq_1_to_60000;
    """)
    other = my.new_database("other")
    my.run(other, "CREATE TABLE leads (id INT PRIMARY KEY, email VARCHAR(50));"
                  "INSERT INTO leads SELECT seq, CONCAT('x', seq) FROM seq_1_to_20000;")
    try:
        with pymysql.connect(host=my.host, port=my.port, user=my.user, password=my.password or "",
                             autocommit=True) as conn, conn.cursor() as cur:  # no database: SCHEMA_NAME NULL
            for i in range(40):
                cur.execute(f"SELECT id, total FROM `{db}`.orders WHERE customer_id = %s", (i,))
                cur.fetchall()
                cur.execute(f"SELECT id FROM `{other}`.leads WHERE email = %s", (f"x{i}",))
                cur.fetchall()
        rep = report(my.dsn(db))
        stmts = rep.to_dict()["summary"]["statements"]
        mine = [s for s in stmts if s["query"].startswith("SELECT ID , `total` FROM")]
        assert len(mine) == 1 and mine[0]["calls"] == 40, stmts
        assert not [s for s in stmts if "leads" in s["query"]]
        (idx,) = findings(rep, "missing_index", table="orders")
        assert idx.object["columns"] == ["customer_id"] and idx.object["schema"] == db
        assert any("without one whose digest names its tables (1 here" in n for n in rep.notes)
    finally:
        my.drop_database(other)
