"""The servers this machine runs (127.0.0.1:5432 and :3306, as CI configures them): the real thing, end to end.

These are the servers `.ci/run` (scripts/setup.sh) configures: pg_stat_statements preloaded on
PostgreSQL, performance_schema on for MariaDB. Skipped where no such server listens.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

DBXRAY = str(Path(sys.executable).with_name("dbxray"))


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.skipif(not _listening(5432), reason="no PostgreSQL on 127.0.0.1:5432")
def test_report_on_the_local_postgresql():
    result = subprocess.run([DBXRAY, "report", "--format", "json", "--dsn",
                             "postgresql://postgres@127.0.0.1:5432/postgres"],
                            capture_output=True, text=True, timeout=120)
    data = json.loads(result.stdout)
    statements = next(c for c in data["collection"]["collectors"] if c["name"] == "statements")
    if statements["status"] == "ok":
        assert result.returncode == 0, result.stderr
    else:  # not configured by scripts/setup.sh: the report says how to fix it and exits 4
        assert result.returncode == 4
        assert any(f["check"] == "extension_missing" for f in data["findings"])
    assert data["target"]["server_version"].startswith(("15", "16", "17", "18", "13", "14"))
