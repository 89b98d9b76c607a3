"""A throwaway MariaDB from the binaries on this machine (tests, benchmarks, demos).

``mariadb-install-db`` fills a temporary data directory, ``mariadbd --user=mysql`` serves it on
a free loopback port with only the options we pass (``--no-defaults``: the machine's own
``my.cnf`` never leaks in), and ``stop()`` shuts it down cleanly and removes the directory.
``performance_schema`` is a startup-only switch, which is exactly why tests need their own
servers: one with it ON, one with it OFF (the MariaDB default) for the degraded path.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from dbxray.demo.sandbox import START_ATTEMPTS, SandboxError, _chown_tree, free_port, port_taken

MARIADB_MISSING = (
    "no MariaDB server binaries found (mariadb-install-db/mariadbd). Install them, e.g. "
    "'apt-get install mariadb-server', or point DBXRAY_TEST_MYSQL_DSN at a server you own."
)


def find_mariadb_binaries() -> tuple[Path, Path] | None:
    """(mariadb-install-db, mariadbd) when both are on this machine."""
    install = shutil.which("mariadb-install-db") or shutil.which("mysql_install_db")
    server = None
    for cand in ("mariadbd", "mysqld"):
        server = shutil.which(cand) or (f"/usr/sbin/{cand}" if os.path.exists(f"/usr/sbin/{cand}") else None)
        if server:
            break
    if install and server:
        return Path(install), Path(server)
    return None


class MariaDBSandbox:
    """A private MariaDB on a free port: ``with MariaDBSandbox(performance_schema=False) as db: db.dsn()``."""

    def __init__(
        self,
        performance_schema: bool = True,
        settings: dict[str, str] | None = None,
        port: int | None = None,
        os_user: str | None = "mysql",
    ):
        self.performance_schema = performance_schema
        self.settings = settings or {}
        self.port = port or free_port()
        self.port_given = port is not None
        self.os_user = os_user if os.geteuid() == 0 else None
        self.root: Path | None = None
        self.proc: subprocess.Popen | None = None

    @property
    def datadir(self) -> Path:
        assert self.root is not None
        return self.root / "data"

    @property
    def socket(self) -> Path:
        assert self.root is not None
        return self.root / "mysqld.sock"

    def dsn(self, database: str = "", user: str = "root", password: str | None = None) -> str:
        auth = f"{user}:{password}" if password else user
        return f"mysql://{auth}@127.0.0.1:{self.port}/{database}"

    def server_options(self) -> list[str]:
        """Command-line options of mariadbd: small, fast, and only what was asked for."""
        assert self.root is not None
        opts = {
            "datadir": str(self.datadir),
            "socket": str(self.socket),
            "pid-file": str(self.root / "mysqld.pid"),
            "log-error": str(self.root / "error.log"),
            # its own temporary directory: information_schema queries build on-disk temporary tables,
            # and a shared /tmp cleaned by someone else fails them ("Error on delete of /tmp/#sql-...")
            "tmpdir": str(self.root),
            "port": str(self.port),
            "bind-address": "127.0.0.1",
            "skip-name-resolve": None,
            "skip-log-bin": None,
            "innodb-buffer-pool-size": "64M",
            "innodb-log-file-size": "48M",
            "innodb-flush-log-at-trx-commit": "0",
            "innodb-doublewrite": "0",
            "character-set-server": "utf8mb4",
            "performance-schema": "ON" if self.performance_schema else "OFF",
        }
        if self.performance_schema:
            opts["performance-schema-consumer-events-statements-history"] = "ON"
            opts["performance-schema-instrument"] = "'statement/%=ON'"
            # one server serves a whole test session: room for every test database's digests (a full
            # table counts new statements only in its overflow row)
            opts["performance-schema-digests-size"] = "30000"
        opts.update(self.settings)
        out = []
        for key, value in opts.items():
            out.append(f"--{key}" if value is None else f"--{key}={value}")
        return out

    def start(self, timeout: float = 60.0) -> MariaDBSandbox:
        binaries = find_mariadb_binaries()
        if binaries is None:
            raise SandboxError(MARIADB_MISSING)
        install, server = binaries
        self.root = Path(tempfile.mkdtemp(prefix="dbxray-mariadb-"))
        os.chmod(self.root, 0o755)
        _chown_tree(self.root, self.os_user)
        user_opt = [f"--user={self.os_user}"] if self.os_user else []
        result = subprocess.run(
            [str(install), "--no-defaults", f"--datadir={self.datadir}", *user_opt,
             "--auth-root-authentication-method=normal", "--skip-test-db"],
            capture_output=True, text=True, timeout=180,
        )
        if result.returncode != 0:
            self._cleanup()
            raise SandboxError(f"mariadb-install-db failed: {(result.stderr or result.stdout).strip()[-500:]}")
        _chown_tree(self.root, self.os_user)
        for attempt in range(START_ATTEMPTS):
            # mariadbd drops to --user itself when started as root
            self.proc = subprocess.Popen([str(server), "--no-defaults", *self.server_options(), *user_opt],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                         start_new_session=True)
            try:
                self._wait_ready(timeout)
                self._grant_tcp_root()
                return self
            except SandboxError:
                retry = not self.port_given and port_taken(self.server_log()) and attempt < START_ATTEMPTS - 1
                if not retry:
                    self.stop()
                    raise
                self.proc.wait(timeout=60)  # it exited: the picked port was taken before it could bind
                (self.root / "error.log").unlink(missing_ok=True)
                self.port = free_port()
            except Exception:
                self.stop()
                raise
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _wait_ready(self, timeout: float) -> None:
        import pymysql

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise SandboxError(f"mariadbd exited during start: {self.server_log()[-800:]}")
            if self.socket.exists():
                with contextlib.suppress(pymysql.err.MySQLError):
                    pymysql.connect(unix_socket=str(self.socket), user="root", connect_timeout=2).close()
                    return
            time.sleep(0.1)
        raise SandboxError(f"mariadbd did not answer within {timeout:g} s: {self.server_log()[-800:]}")

    def _grant_tcp_root(self) -> None:
        """mariadb-install-db makes root@localhost only; with skip-name-resolve TCP needs root@127.0.0.1."""
        with self.admin(unix=True) as conn, conn.cursor() as cur:
            cur.execute("CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'")
            cur.execute("GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION")

    def admin(self, database: str | None = None, unix: bool = False, **kw):
        """A root connection with multi-statement scripts allowed (seeding, never dbxray itself)."""
        import pymysql
        from pymysql.constants import CLIENT

        where = {"unix_socket": str(self.socket)} if unix else {"host": "127.0.0.1", "port": self.port}
        return pymysql.connect(user="root", database=database, autocommit=True,
                               client_flag=CLIENT.MULTI_STATEMENTS, **where, **kw)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                with self.admin(unix=True, connect_timeout=2) as conn, conn.cursor() as cur:
                    cur.execute("SHUTDOWN")
            except Exception:
                with contextlib.suppress(ProcessLookupError):
                    self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None
        self._cleanup()

    def _cleanup(self) -> None:
        if self.root:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def server_log(self) -> str:
        log = self.root / "error.log" if self.root else None
        return log.read_text(errors="replace") if log and log.exists() else ""

    def __enter__(self) -> MariaDBSandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


__all__ = ["MARIADB_MISSING", "MariaDBSandbox", "find_mariadb_binaries"]
