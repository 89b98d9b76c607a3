"""scripts/ci-mariadb.sh: valid shell, and idempotent (a second run changes and restarts nothing)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pymysql
import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "ci-mariadb.sh"
CNF = Path("/etc/mysql/mariadb.conf.d/90-dbxray-performance-schema.cnf")


def test_script_is_valid_shell():
    assert subprocess.run(["sh", "-n", str(SCRIPT)], capture_output=True).returncode == 0


def _uptime() -> int | None:
    try:
        with pymysql.connect(host="127.0.0.1", port=3306, user="root") as conn, conn.cursor() as cur:
            cur.execute("SELECT @@performance_schema, VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
                        "WHERE VARIABLE_NAME = 'UPTIME'")
            ps, up = cur.fetchone()
            return int(up) if ps else None
    except pymysql.err.MySQLError:
        return None


@pytest.mark.skipif(os.geteuid() != 0 or not CNF.exists(), reason="needs root and a local MariaDB already "
                    "configured by scripts/ci-mariadb.sh (CI runs it before the tests)")
def test_second_run_changes_nothing_and_does_not_restart():
    before = _uptime()
    if before is None:
        pytest.skip("the local MariaDB is not running with performance_schema ON")
    config = CNF.read_text()
    out = subprocess.run(["sh", str(SCRIPT)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "nothing to do" in out.stdout
    assert CNF.read_text() == config
    assert _uptime() >= before  # same server process: uptime kept counting
