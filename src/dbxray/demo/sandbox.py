"""Throwaway database servers from the binaries on this machine (demo and tests).

PostgreSQL's ``initdb``/``postgres`` refuse to run as root and MariaDB wants ``--user``,
so when we are root the servers run as the ``postgres`` / ``mysql`` OS users. Each server
gets a free loopback port and a temporary directory that ``stop()`` removes.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from dbxray.errors import DbxrayError


class SandboxError(DbxrayError):
    """A throwaway server could not be started (binaries missing, start failed)."""


START_ATTEMPTS = 3


def free_port() -> int:
    """A loopback port free now; it can be taken before a server binds it (another test server, a client
    socket), so a start on a picked port checks ``port_taken`` and tries another."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _first_complaint(server_log: str) -> str:
    """The server log's first line that says what went wrong, without its timestamp and pid."""
    for line in server_log.splitlines():
        if re.search(r"\b(FATAL|PANIC|ERROR)\b|could not", line):
            return re.sub(r"^\d{4}-\d\d-\d\d [\d:.]+ \w+ \[\d+\] ", "", line).strip()
    return ""


def port_taken(server_log: str) -> bool:
    """The server's log says its port was in use (PostgreSQL's and MariaDB's wording)."""
    return "Address already in use" in server_log or "Bind on TCP/IP port" in server_log


def _run_as(user: str | None) -> dict:
    """subprocess arguments that drop root privileges to ``user`` (nothing when not root)."""
    if os.geteuid() != 0 or not user:
        return {}
    import grp
    import pwd

    pw = pwd.getpwnam(user)
    return {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": [g.gr_gid for g in grp.getgrall()
                                                                     if user in g.gr_mem]}


def _chown_tree(path: Path, user: str | None) -> None:
    if os.geteuid() != 0 or not user:
        return
    import pwd

    pw = pwd.getpwnam(user)
    for root, dirs, files in os.walk(path):
        os.chown(root, pw.pw_uid, pw.pw_gid)
        for name in dirs + files:
            os.chown(os.path.join(root, name), pw.pw_uid, pw.pw_gid)


def find_postgres_bindir() -> Path | None:
    """The newest PostgreSQL server binaries here: PG_BINDIR, pg_config, or Debian's layout."""
    candidates = []
    if os.environ.get("PG_BINDIR"):
        candidates.append(Path(os.environ["PG_BINDIR"]))
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(Exception):
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10)
            candidates.append(Path(out.stdout.strip()))
    for path in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name),
                       reverse=True):
        candidates.append(Path(path))
    for cand in [*candidates, Path("/usr/local/pgsql/bin")]:
        if (cand / "initdb").exists() and (cand / "postgres").exists():
            return cand
    found = shutil.which("initdb")
    return Path(found).parent if found else None


POSTGRES_MISSING = (
    "no PostgreSQL server binaries found (initdb/postgres). Install them, e.g. "
    "'apt-get install postgresql postgresql-contrib' (add postgresql-NN-hypopg for index proofs), "
    "or set PG_BINDIR; or run the seeded server in docker/ with 'docker compose -f docker/compose.yaml up'."
)


class PostgresSandbox:
    """A private PostgreSQL cluster on a free port; ``with PostgresSandbox() as pg: pg.dsn()``."""

    def __init__(
        self,
        settings: dict[str, str] | None = None,
        preload: tuple[str, ...] = ("pg_stat_statements",),
        port: int | None = None,
        os_user: str | None = "postgres",
        fast: bool = False,
        host_auth: str = "trust",
    ):
        self.settings = settings or {}
        self.preload = preload
        self.port = port or free_port()
        self.port_given = port is not None  # a port picked here is picked again if taken before the start
        self.os_user = os_user if os.geteuid() == 0 else None
        self.bindir: Path | None = None
        self.root: Path | None = None
        self.running = False
        # fast: no fsync / full-page writes (tests). Off for the demo, whose report would
        # otherwise rightly flag fsync=off as a critical setting.
        self.fast = fast
        # host_auth: how TCP clients authenticate ("trust", or "scram-sha-256" to test passwords);
        # the Unix socket in the sandbox directory always trusts the postgres OS user
        self.host_auth = host_auth

    @property
    def datadir(self) -> Path:
        assert self.root is not None
        return self.root / "data"

    def dsn(self, database: str = "postgres", user: str = "postgres", password: str | None = None) -> str:
        auth = f"{user}:{password}" if password else user
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        result = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout,
                                cwd=self.root, **_run_as(self.os_user))
        if check and result.returncode != 0:
            raise SandboxError(f"{Path(args[0]).name} failed: {(result.stderr or result.stdout).strip()[-500:]}")
        return result

    def start(self) -> PostgresSandbox:
        self.bindir = find_postgres_bindir()
        if self.bindir is None:
            raise SandboxError(POSTGRES_MISSING)
        self.root = Path(tempfile.mkdtemp(prefix="dbxray-pg-"))
        try:
            self._init_and_start()
        except BaseException:
            self.stop()  # nothing left behind: no data directory, no half-started server
            raise
        return self

    def _init_and_start(self) -> None:
        assert self.bindir is not None and self.root is not None
        _chown_tree(self.root, self.os_user)
        self._run(str(self.bindir / "initdb"), "-D", str(self.datadir), "-U", "postgres", "--auth-local=trust",
                  f"--auth-host={self.host_auth}",
                  "-E", "UTF8", "--locale=C", "--no-sync")
        conf = {
            "port": str(self.port),
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.root}'",
            "logging_collector": "off",
            "max_connections": "50",
            "shared_buffers": "'128MB'",
        }
        if self.fast:
            conf.update({"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"})
        if self.preload:
            conf["shared_preload_libraries"] = "'" + ",".join(self.preload) + "'"
        if "pg_stat_statements" in self.preload:
            conf["pg_stat_statements.track"] = "'top'"
        conf.update(self.settings)
        with open(self.datadir / "postgresql.conf", "a", encoding="utf-8") as fh:
            fh.write("\n# dbxray sandbox\n")
            for key, value in conf.items():
                fh.write(f"{key} = {value}\n")
        for attempt in range(START_ATTEMPTS):
            started = self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-l",
                                str(self.root / "server.log"), "-w", "-t", "60", "start", check=False)
            if started.returncode == 0:
                break
            if self.port_given or not port_taken(self.server_log()) or attempt == START_ATTEMPTS - 1:
                why = _first_complaint(self.server_log()) or (started.stderr or started.stdout).strip()[-300:]
                raise SandboxError(f"PostgreSQL did not start on port {self.port}: {why or 'pg_ctl failed'}")
            # someone took the free port between its pick and the server's bind: another one, and a fresh
            # log, so the next attempt is judged by what it says itself
            (self.root / "server.log").unlink(missing_ok=True)
            self.port = free_port()
            with open(self.datadir / "postgresql.conf", "a", encoding="utf-8") as fh:
                fh.write(f"port = {self.port}\n")
        self.running = True

    def stop(self) -> None:
        # a start that failed late (pg_ctl's wait timed out) may have left a postmaster: stop it too
        started = self.running or (self.root is not None and (self.datadir / "postmaster.pid").exists())
        if started and self.bindir:
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "-w", "stop",
                      check=False, timeout=60)
            self.running = False
        if self.root:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def server_log(self) -> str:
        log = self.root / "server.log" if self.root else None
        return log.read_text(errors="replace") if log and log.exists() else ""

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run SQL through psql (for seeding outside dbxray's read-only sessions)."""
        assert self.bindir is not None
        return self._run(str(self.bindir / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", str(self.root),
                         "-p", str(self.port), "-U", "postgres", "-d", database, "-c", sql).stdout

    def __enter__(self) -> PostgresSandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    raise SandboxError(f"server on port {port} did not start within {timeout:g} s")
