"""scripts/ci-mariadb.sh: valid shell, turns performance_schema on, and is idempotent (a second run
changes and restarts nothing), run only against a throwaway MariaDB started from its own my.cnf
(never the machine's server: the script's DBXRAY_MARIADB_* variables point it at ours)."""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pymysql
import pytest

from dbxray.demo.sandbox import _chown_tree, free_port
from tests.support.mariadb import find_mariadb_binaries

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "ci-mariadb.sh"


def test_script_is_valid_shell():
    assert subprocess.run(["sh", "-n", str(SCRIPT)], capture_output=True).returncode == 0


@pytest.fixture
def own_mariadb():
    """A throwaway MariaDB read from a my.cnf of its own (performance_schema off), and the environment
    that points the script at it."""
    binaries = find_mariadb_binaries()
    if binaries is None or not shutil.which("mariadb-admin") or not shutil.which("mariadb"):
        pytest.skip("needs the MariaDB server and client binaries for a throwaway server")
    install, server = binaries
    root = Path(tempfile.mkdtemp(prefix="dbxray-ci-mariadb-"))
    os.chmod(root, 0o755)
    user = "mysql" if os.geteuid() == 0 else None
    _chown_tree(root, user)
    user_opt = [f"--user={user}"] if user else []
    result = subprocess.run([str(install), "--no-defaults", f"--datadir={root / 'data'}", *user_opt,
                             "--auth-root-authentication-method=normal", "--skip-test-db"],
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-500:]
    _chown_tree(root, user)
    socket, pid_file = root / "mysqld.sock", root / "mysqld.pid"
    my_cnf = root / "my.cnf"
    my_cnf.write_text("[mysqld]\n" + "".join(f"{k} = {v}\n" for k, v in {
        "datadir": root / "data", "socket": socket, "pid-file": pid_file, "log-error": root / "error.log",
        "port": free_port(), "bind-address": "127.0.0.1", "skip-log-bin": 1, "innodb-buffer-pool-size": "16M",
        **({"user": user} if user else {})}.items()))
    start = f"{shlex.quote(str(server))} --defaults-file={shlex.quote(str(my_cnf))} >/dev/null 2>&1 &"
    env = dict(os.environ, DBXRAY_MARIADB_CNF_DIR=str(root / "conf.d"), DBXRAY_MARIADB_MY_CNF=str(my_cnf),
               DBXRAY_MARIADB_SOCKET=str(socket), DBXRAY_MARIADB_PID_FILE=str(pid_file),
               DBXRAY_MARIADB_START=start)
    subprocess.run(["sh", "-c", start], check=True)
    try:
        _wait(lambda: _state(socket) is not None, 60)
        yield env, socket, root
    finally:
        with contextlib.suppress(Exception):
            pid = int(pid_file.read_text().split()[0])
            os.kill(pid, signal.SIGTERM)
            _wait(lambda: not _alive(pid), 60)
        shutil.rmtree(root, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def _wait(cond, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def _state(socket: Path) -> tuple[int, int] | None:
    """(performance_schema, uptime) of the server on ``socket``."""
    try:
        with pymysql.connect(unix_socket=str(socket), user="root", connect_timeout=2) as conn, \
                conn.cursor() as cur:
            cur.execute("SELECT @@performance_schema, VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
                        "WHERE VARIABLE_NAME = 'UPTIME'")
            ps, up = cur.fetchone()
            return int(ps), int(up)
    except pymysql.err.MySQLError:
        return None


def test_turns_performance_schema_on_then_a_second_run_changes_nothing(own_mariadb):
    env, socket, root = own_mariadb
    assert _state(socket)[0] == 0
    first = subprocess.run(["sh", str(SCRIPT)], capture_output=True, text=True, timeout=180, env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "performance_schema ON" in first.stdout
    assert f"!includedir {root / 'conf.d'}/" in (root / "my.cnf").read_text()
    ps, before = _state(socket)
    assert ps == 1
    config = (root / "conf.d" / "90-dbxray-performance-schema.cnf").read_text()
    time.sleep(1.1)
    second = subprocess.run(["sh", str(SCRIPT)], capture_output=True, text=True, timeout=120, env=env)
    assert second.returncode == 0, second.stderr
    assert "nothing to do" in second.stdout
    assert (root / "conf.d" / "90-dbxray-performance-schema.cnf").read_text() == config
    assert _state(socket)[1] >= before + 1  # the same server process: its uptime kept counting
