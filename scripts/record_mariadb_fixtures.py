"""Record real MariaDB outputs as test fixtures, on a throwaway server (never the machine's own).

    .venv/bin/python scripts/record_mariadb_fixtures.py deadlock   # tests/fixtures/mariadb/innodb_*
    .venv/bin/python scripts/record_mariadb_fixtures.py sysbench   # tests/fixtures/mariadb/sysbench_digests*.tsv

``deadlock``: two sessions update two rows in opposite order; the second one's statement is chosen as
the victim. While the first one waits, the InnoDB lock views are read; after the deadlock,
``SHOW ENGINE INNODB STATUS`` and the ``lock_deadlocks`` metric.

``sysbench`` (Debian package 1.0.20, server started with performance_schema ON): ``oltp_read_only``
prepares 4 tables of 10,000 rows; a 5 s run with sysbench's default server-side prepared statements
(``--db-ps-mode=auto``) is saved whole (``sysbench_digests_ps_mode_auto.tsv``); then, the digest table
truncated, ``oltp_read_only`` (20 s), ``select_random_points`` and ``select_random_ranges`` (5 s each) run with
``--db-ps-mode=disable`` (text protocol), 2 threads each, and every digest row of the ``sbtest`` schema
is saved as it is (``SELECT *``, ``sysbench_digests.tsv``).
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pymysql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the MariaDB sandbox is test-only code (tests/support), not in the wheel
from tests.support.mariadb import MariaDBSandbox  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "mariadb"


def tsv(cur) -> str:
    """A result set as the mysql client's --batch output: header, then one tab-separated line per row."""
    def cell(value: object) -> str:
        if value is None:
            return "NULL"
        text = value.decode() if isinstance(value, bytes) else str(value)
        return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")

    lines = ["\t".join(d[0] for d in cur.description)]
    lines += ["\t".join(cell(v) for v in row) for row in cur.fetchall()]
    return "\n".join(lines) + "\n"


def server_version(db: MariaDBSandbox) -> str:
    with db.admin() as conn, conn.cursor() as cur:
        cur.execute("SELECT VERSION()")
        return cur.fetchone()[0]


def record_deadlock() -> None:
    with MariaDBSandbox(performance_schema=False) as db:
        with db.admin() as conn, conn.cursor() as cur:
            cur.execute("CREATE DATABASE shop")
            cur.execute("CREATE TABLE shop.accounts (id INT PRIMARY KEY, owner VARCHAR(20), balance INT) ENGINE=InnoDB")
            cur.execute("INSERT INTO shop.accounts VALUES (1, 'alice', 100), (2, 'bob', 100)")
        a = pymysql.connect(host="127.0.0.1", port=db.port, user="root", database="shop")
        b = pymysql.connect(host="127.0.0.1", port=db.port, user="root", database="shop")
        errors: dict[str, str] = {}
        with a.cursor() as ca, b.cursor() as cb:
            ca.execute("SET SESSION innodb_lock_wait_timeout = 30")
            cb.execute("SET SESSION innodb_lock_wait_timeout = 30")
            ca.execute("BEGIN")
            ca.execute("UPDATE accounts SET balance = balance - 10 WHERE id = 1")
            cb.execute("BEGIN")
            cb.execute("UPDATE accounts SET balance = balance - 20 WHERE id = 2")

            def a_second() -> None:
                try:
                    ca.execute("UPDATE accounts SET balance = balance + 10 WHERE id = 2")
                except pymysql.err.MySQLError as exc:
                    errors["a"] = repr(exc)

            th = threading.Thread(target=a_second)
            th.start()
            time.sleep(1.0)  # session a is now waiting for b's row lock
            with db.admin() as conn, conn.cursor() as cur:
                cur.execute("SELECT * FROM information_schema.INNODB_LOCK_WAITS")
                waits = tsv(cur)
                cur.execute("SELECT * FROM information_schema.INNODB_LOCKS ORDER BY lock_trx_id, lock_id")
                locks = tsv(cur)
                cur.execute("SELECT * FROM information_schema.INNODB_TRX ORDER BY trx_id")
                trx = tsv(cur)
            try:
                cb.execute("UPDATE accounts SET balance = balance + 20 WHERE id = 1")
            except pymysql.err.MySQLError as exc:
                errors["b"] = repr(exc)
            th.join(timeout=30)
        a.rollback()
        b.rollback()
        a.close()
        b.close()
        with db.admin() as conn, conn.cursor() as cur:
            cur.execute("SHOW ENGINE INNODB STATUS")
            status = cur.fetchone()[2]
            cur.execute("SELECT * FROM information_schema.INNODB_METRICS WHERE NAME = 'lock_deadlocks'")
            metrics = tsv(cur)
        version = server_version(db)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "innodb_status_deadlock.txt").write_text(status if status.endswith("\n") else status + "\n")
    (OUT / "innodb_lock_waits.tsv").write_text(waits)
    (OUT / "innodb_locks.tsv").write_text(locks)
    (OUT / "innodb_trx_lock_wait.tsv").write_text(trx)
    (OUT / "innodb_metrics_lock_deadlocks.tsv").write_text(metrics)
    print(f"MariaDB {version}; errors: {errors}")


def record_sysbench() -> None:
    with MariaDBSandbox(performance_schema=True) as db:
        with db.admin() as conn, conn.cursor() as cur:
            cur.execute("CREATE DATABASE sbtest")
        common = ["--db-driver=mysql", "--mysql-host=127.0.0.1", f"--mysql-port={db.port}", "--mysql-user=root",
                  "--mysql-db=sbtest", "--tables=4", "--table-size=10000"]
        run = ["--threads=2", "--report-interval=0"]
        text = ["--db-ps-mode=disable"]

        def sysbench(test: str, *args: str) -> None:
            done = subprocess.run(["sysbench", test, *common, *args], capture_output=True, text=True, timeout=600)
            print(test, args, done.stdout[-1200:], done.stderr[-500:])
            done.check_returncode()

        def digests(where: str) -> str:
            with db.admin() as conn, conn.cursor() as cur:
                cur.execute("SELECT * FROM performance_schema.events_statements_summary_by_digest "
                            f"{where} ORDER BY COUNT_STAR DESC, DIGEST_TEXT")
                return tsv(cur)

        def truncate() -> None:
            with db.admin() as conn, conn.cursor() as cur:
                cur.execute("TRUNCATE TABLE performance_schema.events_statements_summary_by_digest")

        sysbench("oltp_read_only", "prepare")
        # 1. sysbench's default --db-ps-mode=auto: server-side prepared statements (binary protocol)
        truncate()
        sysbench("oltp_read_only", *run, "--time=5", "run")
        auto = digests("")  # every row, whatever the schema
        # 2. the same statements sent as text, then the two tests with IN lists and OR-ed ranges
        truncate()
        sysbench("oltp_read_only", *run, *text, "--time=20", "run")
        sysbench("select_random_points", *run, *text, "--time=5", "run")
        sysbench("select_random_ranges", *run, *text, "--time=5", "run")
        plain = digests("WHERE SCHEMA_NAME = 'sbtest'")
        version = server_version(db)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "sysbench_digests.tsv").write_text(plain)
    (OUT / "sysbench_digests_ps_mode_auto.tsv").write_text(auto)
    print(f"MariaDB {version}")


if __name__ == "__main__":
    {"deadlock": record_deadlock, "sysbench": record_sysbench}[sys.argv[1]]()
