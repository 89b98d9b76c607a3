"""The same privacy guarantees on MariaDB: literals (digests, the processlist, InnoDB lock waits),
table data (mysql.column_stats) and host names never reach the request body."""

from __future__ import annotations

import contextlib
import json
import threading
import time

import pymysql

from tests.llm.helpers import evidence_of, run
from tests.mysql.servers import workload

CANARIES = {"row": "CANARY_MY_ROW_31c", "literal": "CANARY_MY_LITERAL_d07", "waiter": "CANARY_MY_WAITER_5aa",
            "blocker": "CANARY_MY_BLOCKER_e19"}
CONFIG = "[checks.lock_contention]\nmin_wait_s = 0.5\n[checks.long_running_query]\nwarn_s = 0.5\n"


def _connect(server, db):
    return pymysql.connect(host=server.host, port=server.port, user=server.user, password=server.password or "",
                           database=db, autocommit=False, charset="utf8mb4")


def test_mariadb_dry_run_keeps_literals_data_and_live_text_home(my_db, capsys, tmp_path, monkeypatch):
    server, db = my_db
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    server.run(db, f"""
        CREATE TABLE accounts (id INT PRIMARY KEY, email VARCHAR(100), balance INT) ENGINE=InnoDB;
        INSERT INTO accounts SELECT seq, CONCAT('{CANARIES["row"]}', seq), seq FROM seq_1_to_2000;
        ANALYZE TABLE accounts PERSISTENT FOR ALL;""")
    workload(server, db, [(f"SELECT id FROM accounts WHERE email = '{CANARIES['literal']}'", None)], repeat=5)
    config = tmp_path / "dbxray.toml"
    config.write_text(CONFIG, encoding="utf-8")
    blocker, waiter = _connect(server, db), _connect(server, db)
    try:
        with blocker.cursor() as cur:
            cur.execute(f"UPDATE accounts SET email = '{CANARIES['blocker']}' WHERE id = 1")
        thread = threading.Thread(target=_quietly, args=(waiter, "UPDATE accounts SET balance = 0 WHERE email = "
                                                                 f"'{CANARIES['waiter']}'"), daemon=True)
        thread.start()
        time.sleep(1.5)
        code, out, err = run(capsys, "report", "--dsn", server.dsn(db), "--config", str(config), "--llm-dry-run",
                             "--no-progress")
    finally:
        with contextlib.suppress(Exception):
            blocker.rollback()
        blocker.close()
        thread.join(timeout=60)
        waiter.close()
    assert code == 0, err
    for canary in CANARIES.values():
        assert canary not in out
    assert "127.0.0.1" not in out
    document = evidence_of(json.loads(out))
    assert document["database"]["engine"] == "mysql"
    text = json.dumps(document)
    assert "SELECT ID FROM `accounts` WHERE `email` = ?" in text  # the digests are there, normalized
    assert "UPDATE accounts SET balance = ? WHERE email = ?" in text  # and the waiting session's live text
    assert any(f["check"] in ("lock_contention", "long_running_query") for f in document["findings"])


def _quietly(conn, sql: str) -> None:
    with contextlib.suppress(Exception), conn.cursor() as cur:
        cur.execute(sql)
        conn.rollback()
