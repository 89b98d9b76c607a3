"""The demo shop: a small schema with the problems real teams ship, and the traffic that shows them.

Three pieces, usable on any PostgreSQL you may write to (``dbxray demo``'s throwaway server,
the Docker Compose service in ``docker/``, a test's fresh database):

- ``seed(conn_or_dsn)`` runs the SQL files in ``data/`` in order. They are plain SQL so
  that Docker's initdb runs exactly the same files; each file's header says what it plants.
- ``run_workload(dsn, seconds)`` plays the shop's application through psycopg with bound
  parameters, so ``pg_stat_statements`` records normalized statements as it would in production.
- ``incidents(dsn)`` holds a session idle in transaction and a session blocked on its row lock,
  for as long as the ``with`` block lasts.

These connections play the *application* (they write); dbxray's own diagnostic sessions still
go only through ``dbxray.connect``. Command line (for Docker and for people)::

    python -m dbxray.demo.shop seed --dsn postgresql://postgres@localhost/shop
    python -m dbxray.demo.shop workload --dsn … --seconds 60
    python -m dbxray.demo.shop incidents --dsn … --seconds 120
"""

from __future__ import annotations

import contextlib
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"

# what the demo plants, for the report's notes and for people reading the output
PLANTED = {
    "slow_query": "order history filters orders by an unindexed customer_id",
    "missing_index": "orders(customer_id)",
    "missing_fk_index": "order_items.order_id (and orders.customer_id) reference other tables without an index",
    "duplicate_index": "payments_order_id_idx1 duplicates payments_order_id_idx",
    "redundant_index": "orders_status_idx is a prefix of orders_status_created_at_idx",
    "unused_index": "orders_tracking_number_idx (about 11 MB) is never scanned",
    "invalid_index": "customers_phone_key, left by a failed CREATE UNIQUE INDEX CONCURRENTLY",
    "missing_primary_key": "audit_log",
    "sequence_exhaustion": "cart_events.id is an integer fed by a bigint sequence at 2,000,000,000",
    "vacuum_overdue": "inventory: autovacuum disabled, six full-table updates, never vacuumed",
    "table_bloat": "inventory",
    "temp_spill": "the revenue reports under work_mem = 1MB (ALTER DATABASE … SET work_mem)",
    "n_plus_one": "category pages fetch each product with its own SELECT … WHERE id = $1",
    "superuser_role": "deploy_admin, a login superuser",
    "idle_in_transaction": "an admin console and a refund job left idle in transaction",
    "lock_contention": "a checkout blocked on the refund job's row lock on payments",
}


# -- seed -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SeedFile:
    """One SQL file of the seed and what its header says about it."""

    path: Path
    about: str
    scope: str = "database"  # "cluster": creates server-wide objects (roles)
    expect_error: bool = False  # the file plants a failure (a failed CREATE INDEX CONCURRENTLY)

    @property
    def name(self) -> str:
        return self.path.stem


_HEADER = re.compile(r"^--\s*([a-z_]+)\s*:\s*(.*?)\s*$")


def seed_files() -> list[SeedFile]:
    """The seed's SQL files in the order they run."""
    files = []
    for path in sorted(DATA_DIR.glob("*.sql")):
        headers: dict[str, list[str]] = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.startswith("--"):
                break
            m = _HEADER.match(line)
            if m:
                headers.setdefault(m.group(1), []).append(m.group(2))
        files.append(SeedFile(path, " ".join(headers.get("about", [])),
                              scope=(headers.get("scope") or ["database"])[0],
                              expect_error=(headers.get("expect") or [""])[0] == "error"))
    return files


def split_statements(sql: str) -> list[str]:
    """One statement per entry: CREATE INDEX CONCURRENTLY cannot share a query string with others."""
    import pglast

    return list(pglast.split(sql))


def seed(conn_or_dsn: Any, cluster: bool = True, progress: Callable[[str], None] | None = None) -> None:
    """Create the demo shop in the database ``conn_or_dsn`` points at (it must not have it yet).

    ``cluster=False`` skips server-wide objects (the planted superuser role): use it on a
    server shared with other work, such as a test session's server.
    """
    import psycopg

    own = isinstance(conn_or_dsn, str)
    conn = psycopg.connect(conn_or_dsn, autocommit=True, application_name="shop-migrations") if own \
        else conn_or_dsn
    try:
        if not conn.autocommit:
            conn.rollback()
            conn.autocommit = True
        for sf in seed_files():
            if sf.scope == "cluster" and not cluster:
                continue
            if progress:
                progress(sf.name)
            failed = False
            for stmt in split_statements(sf.path.read_text(encoding="utf-8")):
                try:
                    conn.execute(stmt)
                except psycopg.Error:
                    if not sf.expect_error:
                        raise
                    failed = True
            if sf.expect_error and not failed:  # the planted failure did not happen: nothing was planted
                raise RuntimeError(f"{sf.path.name} was meant to fail and plant a problem, but it succeeded")
    finally:
        if own:
            conn.close()


# -- workload -------------------------------------------------------------------------------------

@dataclass
class WorkloadStats:
    """What the workload did: statements per scenario, and errors (there should be none)."""

    seconds: float = 0.0
    calls: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    @property
    def statements(self) -> int:
        return sum(self.calls.values())


class _Shop:
    """One client of the shop: a connection, a random generator, and the pages it serves."""

    CATEGORIES = ("books", "games", "garden", "kitchen", "toys", "tools", "music", "sports")

    def __init__(self, dsn: str, name: str, rng: random.Random, stats: WorkloadStats, lock: threading.Lock):
        import psycopg

        self.conn = psycopg.connect(dsn, autocommit=True, application_name=name)
        self.rng = rng
        self.stats = stats
        self.lock = lock
        self.limits = self._limits()

    def _limits(self) -> dict[str, int]:
        row = self.conn.execute("SELECT (SELECT max(id) FROM customers), (SELECT max(id) FROM products), "
                                "(SELECT max(id) FROM orders)").fetchone()
        return {"customers": int(row[0]), "products": int(row[1]), "orders": int(row[2])}

    def q(self, scenario: str, sql: str, params: tuple = ()) -> list[tuple]:
        cur = self.conn.execute(sql, params)
        with self.lock:
            self.stats.calls[scenario] += 1
        return cur.fetchall() if cur.description else []

    def customer(self) -> Any:
        return _int8(self.rng.randint(1, self.limits["customers"]))

    def product(self) -> Any:
        return _int4(self.rng.randint(1, self.limits["products"]))

    # the pages -----------------------------------------------------------------------------------
    def login(self) -> None:
        self.q("login", "SELECT id, name, country FROM customers WHERE email = %s",
               (f"customer{self.customer()}@example.com",))

    def category_page(self) -> None:
        """The N+1: one query for the ids, then one query per product (an ORM's lazy loading)."""
        ids = self.q("category_page", "SELECT id FROM products WHERE category = %s ORDER BY id LIMIT %s OFFSET %s",
                     (self.rng.choice(self.CATEGORIES), 24, self.rng.randrange(0, 600, 24)))
        for (pid,) in ids:
            self.q("product_by_id", "SELECT id, sku, name, price FROM products WHERE id = %s", (_int4(pid),))

    def product_page(self) -> None:
        pid = self.product()
        self.q("product_page", "SELECT id, sku, name, category, price FROM products WHERE id = %s", (pid,))
        self.q("product_page", "SELECT warehouse, quantity FROM inventory WHERE product_id = %s", (pid,))
        self.q("product_page", "SELECT coalesce(sum(quantity), 0) FROM order_items WHERE product_id = %s", (pid,))

    def order_history(self) -> None:
        """The slow page: orders.customer_id has no index, so every visit scans all orders."""
        self.q("order_history", "SELECT id, status, created_at, total FROM orders WHERE customer_id = %s "
               "ORDER BY created_at DESC LIMIT 20", (self.customer(),))

    def order_detail(self) -> None:
        oid = _int8(self.rng.randint(1, self.limits["orders"]))
        self.q("order_detail", "SELECT id, customer_id, status, total, created_at FROM orders WHERE id = %s", (oid,))
        items = self.q("order_detail", "SELECT product_id, quantity, unit_price FROM order_items WHERE order_id = %s",
                       (oid,))
        self.q("order_detail", "SELECT status, amount, method FROM payments WHERE order_id = %s", (oid,))
        for pid, _qty, _price in items:
            self.q("product_by_id", "SELECT id, sku, name, price FROM products WHERE id = %s", (_int4(pid),))

    def add_to_cart(self) -> None:
        self.q("add_to_cart", "INSERT INTO cart_events (customer_id, product_id, event) VALUES (%s, %s, %s)",
               (self.customer(), self.product(), "add"))

    def pending_orders(self) -> None:
        self.q("pending_orders", "SELECT id, customer_id, total, created_at FROM orders WHERE status = %s "
               "ORDER BY created_at DESC LIMIT 20", ("pending",))

    def checkout(self) -> None:
        customer = self.customer()
        products = [self.product() for _ in range(2)]
        with self.conn.transaction():
            (oid,) = self.q("checkout", "INSERT INTO orders (customer_id, status, created_at, total, shipping_address) "
                            "VALUES (%s, %s, now(), %s, %s) RETURNING id",
                            (customer, "pending", round(self.rng.uniform(10, 300), 2), "1 Demo Street"))[0]
            oid = _int8(oid)
            for pid in products:
                self.q("checkout", "INSERT INTO order_items (order_id, product_id, quantity, unit_price) "
                       "SELECT %s, id, %s, price FROM products WHERE id = %s", (oid, 1, pid))
                self.q("checkout", "UPDATE inventory SET quantity = quantity - %s, updated_at = now() "
                       "WHERE product_id = %s AND warehouse = %s", (1, pid, "ams"))
            self.q("checkout", "INSERT INTO payments (order_id, amount, method, status, created_at) "
                   "SELECT id, total, %s, %s, now() FROM orders WHERE id = %s", ("card", "authorized", oid))
            self.q("checkout", "INSERT INTO audit_log (actor, action, entity, entity_id) VALUES (%s, %s, %s, %s)",
                   ("api", "create", "order", oid))

    def visit(self) -> None:
        """One shopper's visit: a mix that makes the slow page matter by total time."""
        r = self.rng.random
        self.login()
        self.category_page()
        if r() < 0.3:
            self.product_page()
        if r() < 0.6:
            self.order_history()
        if r() < 0.35:
            self.order_detail()
        if r() < 0.4:
            self.add_to_cart()
        if r() < 0.1:
            self.checkout()
        if r() < 0.1:
            self.pending_orders()

    def reports(self) -> None:
        """The back office: revenue reports that sort and hash more than work_mem holds."""
        self.q("report", "SELECT customer_id, count(*) AS orders, sum(total) AS revenue FROM orders "
               "WHERE created_at >= now() - %s::interval GROUP BY customer_id ORDER BY revenue DESC LIMIT %s",
               ("365 days", 50))
        self.q("report", "SELECT p.category, date_trunc('month', o.created_at) AS month, "
               "sum(oi.quantity * oi.unit_price) AS revenue FROM order_items oi "
               "JOIN orders o ON o.id = oi.order_id JOIN products p ON p.id = oi.product_id "
               "WHERE o.created_at >= now() - %s::interval GROUP BY 1, 2 ORDER BY 1, 2", ("90 days",))
        self.q("report", "SELECT logged_at, actor, action, entity, entity_id FROM audit_log "
               "ORDER BY logged_at DESC LIMIT %s", (50,))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.close()


# What the report needs to see, whatever the machine's speed: the slow pages at least as often as the
# slow_query check's min_calls (100; order_detail counts 3 statements per page view), the N+1 lookups
# as often as n_plus_one's (1000)
MIN_CALLS = {"order_history": 120, "order_detail": 3 * 120, "product_by_id": 1200}


def run_workload(dsn: str, seconds: float = 8.0, web_clients: int = 2, seed_value: int = 7,
                 min_calls: dict[str, int] | None = None, max_extra_s: float = 120.0) -> WorkloadStats:
    """Play the shop's traffic for ``seconds``: web shoppers plus one back-office report client.

    ``min_calls`` (scenario -> statements) keeps the traffic going past ``seconds`` until each scenario
    has run that often (at most ``max_extra_s`` more): on a loaded machine a fixed time alone would
    leave the planted slow pages under the slow_query check's call count.

    The clients are threads that never receive signals (:func:`worker_thread`): Ctrl-C always reaches
    the main thread, which waits in short steps, so it stops the workload at once (the clients see
    ``stop`` and end) and raises KeyboardInterrupt to the caller."""
    stats = WorkloadStats()
    lock = threading.Lock()
    stop = threading.Event()
    deadline = time.monotonic() + seconds
    hard = deadline + (max_extra_s if min_calls else 0.0)
    started = time.monotonic()

    def short() -> bool:
        return bool(min_calls) and any(stats.calls[k] < v for k, v in (min_calls or {}).items())

    def client(name: str, index: int, step: str) -> None:
        shop = None
        try:
            shop = _Shop(dsn, name, random.Random(seed_value * 100 + index), stats, lock)
            while not stop.is_set() and (time.monotonic() < deadline or (short() and time.monotonic() < hard)):
                getattr(shop, step)()
                if step == "reports":
                    stop.wait(0.3)
        except Exception as exc:  # recorded, so the caller can tell a broken workload from a quiet one
            if not stop.is_set():
                with lock:
                    stats.errors.append(f"{name}: {exc.__class__.__name__}: {' '.join(str(exc).split())[:200]}")
        finally:
            if shop:
                shop.close()

    threads = [worker_thread(client, f"shop-web-{i + 1}", i, "visit") for i in range(web_clients)]
    threads.append(worker_thread(client, "shop-backoffice", web_clients, "reports"))
    try:
        for th in threads:
            th.start()
        limit = hard + 60
        while any(th.is_alive() for th in threads) and time.monotonic() < limit:
            for th in threads:
                th.join(0.1)
    except BaseException:
        stop.set()  # interrupted: the clients end their current statement and close
        raise
    stats.seconds = time.monotonic() - started
    return stats


def worker_thread(target: Callable[..., Any], *args: Any) -> threading.Thread:
    """A daemon thread with SIGINT, SIGTERM and SIGHUP blocked: the kernel then delivers them to the main
    thread, the only one where Python can act on them (a signal that lands on a worker thread waits
    until the main thread next runs Python code, which can be the end of a long join)."""
    import signal

    def run() -> None:
        with contextlib.suppress(AttributeError, ValueError, OSError):
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM, signal.SIGHUP})
        target(*args)

    return threading.Thread(target=run, name=str(args[0]) if args else None, daemon=True)


def _int8(value: int) -> Any:
    """Bind as bigint: psycopg picks the smallest integer type that fits each value, and
    pg_stat_statements would split one statement into int2/int4/int8 variants."""
    from psycopg.types.numeric import Int8

    return Int8(value)


def _int4(value: int) -> Any:
    from psycopg.types.numeric import Int4

    return Int4(value)


# -- incidents ------------------------------------------------------------------------------------

@dataclass
class Incidents:
    """The live problems held open: who is idle in a transaction, who waits for whom."""

    idle_pids: list[int] = field(default_factory=list)
    blocker_pid: int = 0
    waiter_pid: int = 0


@contextlib.contextmanager
def incidents(dsn: str, order_id: int = 1001, wait_timeout: float = 10.0) -> Iterator[Incidents]:
    """Hold a session idle in transaction and a session blocked on a row lock; release both on exit.

    - ``shop-admin-console`` read an order inside a transaction and was left open;
    - ``shop-refund-job`` updated a payment and now waits (idle in transaction) for the
      payment provider, holding the row lock;
    - ``shop-checkout`` tries to update the same payment and waits for that lock.
    """
    import psycopg

    conns: list[Any] = []
    waiter_thread = None
    info = Incidents()
    try:
        console = psycopg.connect(dsn, application_name="shop-admin-console")
        conns.append(console)
        console.execute("SELECT id, status, total FROM orders WHERE id = %s", (_int8(order_id),)).fetchall()
        refund = psycopg.connect(dsn, application_name="shop-refund-job")
        conns.append(refund)
        refund.execute("UPDATE payments SET status = %s WHERE order_id = %s", ("refund_pending", _int8(order_id)))
        checkout = psycopg.connect(dsn, application_name="shop-checkout", autocommit=True)
        conns.append(checkout)
        info.idle_pids = [console.info.backend_pid, refund.info.backend_pid]
        info.blocker_pid = refund.info.backend_pid
        info.waiter_pid = checkout.info.backend_pid

        def wait_for_lock() -> None:
            with contextlib.suppress(psycopg.Error):
                checkout.execute("UPDATE payments SET status = %s WHERE order_id = %s", ("captured", _int8(order_id)))

        waiter_thread = worker_thread(wait_for_lock)
        waiter_thread.start()
        _wait_until_blocked(dsn, info.waiter_pid, wait_timeout)
        yield info
    finally:
        # the refund job gives up: its rollback releases the lock, so the checkout finishes
        for conn in conns[:2]:
            with contextlib.suppress(Exception):
                conn.rollback()
        if waiter_thread is not None:
            waiter_thread.join(wait_timeout)
        for conn in conns:
            with contextlib.suppress(Exception):
                conn.close()


def _wait_until_blocked(dsn: str, pid: int, timeout: float) -> None:
    import psycopg

    deadline = time.monotonic() + timeout
    with psycopg.connect(dsn, autocommit=True, application_name="shop-monitor") as conn:
        while time.monotonic() < deadline:
            if conn.execute("SELECT cardinality(pg_blocking_pids(%s)) > 0", (pid,)).fetchone()[0]:
                return
            time.sleep(0.05)
    raise RuntimeError(f"session {pid} did not block on the row lock within {timeout:g} s")


# -- command line (Docker's workload service, people) ----------------------------------------------

def main(argv: list[str] | None = None) -> int:
    """``python -m dbxray.demo.shop seed|workload|incidents --dsn URL``."""
    import argparse
    import os
    import sys

    parser = argparse.ArgumentParser(prog="python -m dbxray.demo.shop", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="action", required=True)
    for name, text in (("seed", "create the demo shop in an empty database"),
                       ("workload", "play the shop's traffic"),
                       ("incidents", "hold an idle transaction and a lock wait open")):
        p = sub.add_parser(name, help=text)
        p.add_argument("--dsn", default=os.environ.get("DATABASE_URL"), help="default: $DATABASE_URL")
        if name != "seed":
            p.add_argument("--seconds", type=float, default=60.0)
        else:
            p.add_argument("--no-cluster", action="store_true", help="skip server-wide objects (roles)")
    args = parser.parse_args(argv)
    if not args.dsn:
        parser.error("--dsn (or DATABASE_URL) is required")

    def say(msg: str) -> None:
        print(f"dbxray demo: {msg}", file=sys.stderr, flush=True)

    import psycopg

    try:
        if args.action == "seed":
            seed(args.dsn, cluster=not args.no_cluster, progress=lambda name: say(f"seeding: {name}"))
        elif args.action == "workload":
            say(f"running the shop's workload for {args.seconds:g} s")
            stats = run_workload(args.dsn, args.seconds, min_calls=MIN_CALLS)
            say(f"{stats.statements} statements in {stats.seconds:.1f} s" +
                (f"; errors: {'; '.join(stats.errors)}" if stats.errors else ""))
            return 1 if stats.errors else 0
        else:
            with incidents(args.dsn) as info:
                say(f"holding: idle in transaction {info.idle_pids}, pid {info.waiter_pid} blocked by "
                    f"{info.blocker_pid}, for {args.seconds:g} s")
                time.sleep(args.seconds)
    except (psycopg.Error, RuntimeError) as exc:
        from dbxray.connect import redact

        say(f"error: {redact(' '.join(str(exc).split()), args.dsn)}")
        return 2
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
