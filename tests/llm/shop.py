"""A small shop on the test server with planted problems and planted canaries.

Every canary is a string that must never leave the machine: it is planted where a careless
payload would pick it up (table rows and so pg_stats, a partial index predicate, a literal kept by
pg_stat_statements after a reset, a password in a utility statement, the live text of other
sessions, the DSN's password). The problems make the report and its diagnosis non-trivial.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg

CANARIES = {
    "row": "CANARY_ROW_EMAIL_9b1",  # table data (and pg_stats most-common values)
    "row_status": "CANARY_ROW_STATUS_4d2",
    "partial": "CANARY_PARTIAL_IDX_77a",  # a partial index predicate (catalog, but a constant)
    "literal": "CANARY_LITERAL_5e0",  # a literal in an application statement
    "race": "CANARY_PLAN_RACE_c31",  # kept verbatim by pg_stat_statements after a reset; planned by tools
    "password": "CANARY_PASSWORD_1f9",  # ALTER ROLE ... PASSWORD: PostgreSQL 15 keeps utility constants
    "live": "CANARY_LIVE_BLOCKER_8e4",  # the live text of a session idle in transaction
    "live_waiter": "CANARY_LIVE_WAITER_2b6",  # the live text of a session waiting on a lock
    "dsn_password": "CANARY_DSN_PW_0c8",  # in the DSN only (the sandbox trusts TCP clients)
}
ROLE = "llm_canary_role"

CONFIG = """\
[checks.slow_query]
mean_ms = 0.2
min_calls = 5
[checks.idle_in_transaction]
warn_s = 0.5
[checks.lock_contention]
min_wait_s = 0.5
[checks.long_running_query]
warn_s = 0.5
"""

SCHEMA = f"""
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
CREATE TABLE customers (id int PRIMARY KEY, email text NOT NULL, note text);
CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customers(id), status text NOT NULL,
                     note text, total numeric(10,2), created_at timestamptz NOT NULL DEFAULT now());
INSERT INTO customers SELECT i, '{CANARIES["row"]}_' || i || '@example.com', 'vip' FROM generate_series(1, 3000) i;
INSERT INTO orders SELECT i, 1 + i % 3000, CASE WHEN i % 3 = 0 THEN '{CANARIES["row_status"]}' ELSE 'paid' END,
                          'gift', i % 500, now() - (i || ' minutes')::interval
FROM generate_series(1, 60000) i;
CREATE INDEX orders_status_partial_idx ON orders (status) WHERE note = '{CANARIES["partial"]}';
CREATE INDEX orders_status_idx ON orders (status);
CREATE INDEX orders_status_dup_idx ON orders (status);
ANALYZE;
"""


@dataclass
class Shop:
    server: object
    db: str
    race_query_id: str

    def dsn(self, password: bool = True) -> str:
        info = psycopg.conninfo.conninfo_to_dict(self.server.admin_dsn)
        user = info.get("user", "postgres")
        auth = f"{user}:{CANARIES['dsn_password']}" if password else user
        return f"postgresql://{auth}@{info.get('host', '127.0.0.1')}:{info.get('port', 5432)}/{self.db}"

    def config(self, tmp: Path) -> Path:
        path = tmp / "dbxray.toml"
        path.write_text(CONFIG, encoding="utf-8")
        return path


def build(server: object, db: str) -> Shop:
    server.run(db, SCHEMA)
    with server.connect(db) as conn:
        conn.execute(f"DROP ROLE IF EXISTS {ROLE}")
        conn.execute(f"CREATE ROLE {ROLE}")
        dbid = conn.execute("SELECT oid FROM pg_database WHERE datname = current_database()").fetchone()[0]
        conn.execute("SELECT pg_stat_statements_reset(0, %s::oid, 0)", (dbid,))
        if conn.execute("SELECT count(*) FROM pg_available_extensions WHERE name = 'hypopg'").fetchone()[0]:
            conn.execute("CREATE EXTENSION IF NOT EXISTS hypopg")
    _race(server, db, dbid)
    with server.connect(db) as conn:
        conn.execute(f"ALTER ROLE {ROLE} PASSWORD '{CANARIES['password']}'")
        for i in range(40):  # the workload: bound parameters, as applications send them
            conn.execute("SELECT id, total FROM orders WHERE customer_id = %s", (1 + i * 7,)).fetchall()
        for _ in range(6):
            conn.execute(f"SELECT count(*) FROM orders WHERE status = '{CANARIES['literal']}'").fetchall()
        qid = conn.execute("SELECT queryid::text FROM pg_stat_statements WHERE query LIKE %s",
                           (f"%{CANARIES['race']}%",)).fetchone()
    assert qid, "pg_stat_statements did not keep the literal of the statement that finished after the reset"
    return Shop(server, db, qid[0])


def _race(server: object, db: str, dbid: int) -> None:
    """A statement still running when the statistics are reset is stored with its literals."""
    def slow() -> None:
        with server.connect(db) as conn:
            conn.execute(f"SELECT pg_sleep(0.8), count(*) FROM orders WHERE note = '{CANARIES['race']}'").fetchall()

    worker = threading.Thread(target=slow)
    worker.start()
    time.sleep(0.3)
    with server.connect(db) as conn:
        conn.execute("SELECT pg_stat_statements_reset(0, %s::oid, 0)", (dbid,))
    worker.join()


def drop_role(server: object) -> None:
    with server.connect() as conn, contextlib.suppress(Exception):
        conn.execute(f"DROP ROLE IF EXISTS {ROLE}")


@contextlib.contextmanager
def live_sessions(shop: Shop) -> Iterator[None]:
    """A session idle in transaction holding a row lock, and one waiting for it, both with literals."""
    blocker = psycopg.connect(shop.server.dsn(shop.db), autocommit=False)
    waiter = psycopg.connect(shop.server.dsn(shop.db), autocommit=True)
    thread = None
    try:
        blocker.execute(f"UPDATE orders SET status = '{CANARIES['live']}' WHERE id = 1")
        thread = threading.Thread(target=_quietly, args=(waiter, f"UPDATE orders SET note = "
                                                                 f"'{CANARIES['live_waiter']}' WHERE id = 1"))
        thread.daemon = True
        thread.start()
        time.sleep(1.2)  # past the lowered thresholds of CONFIG
        yield
    finally:
        with contextlib.suppress(Exception):
            blocker.rollback()
        blocker.close()
        if thread is not None:
            thread.join(timeout=5)
        waiter.close()


def _quietly(conn: psycopg.Connection, sql: str) -> None:
    with contextlib.suppress(Exception):
        conn.execute(sql)
