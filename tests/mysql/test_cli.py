"""`dbxray report --dsn mysql://…` from the command line: the contract on success, and one clear
line (no traceback, no password, non-zero exit) for every kind of bad input."""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys

import pytest

from dbxray.demo.sandbox import free_port

SECRET = "S3cret-Pa55word"


def _dbxray(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    exe = shutil.which("dbxray")
    cmd = [exe] if exe else [sys.executable, "-m", "dbxray.cli"]
    return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=timeout)


def _assert_one_clear_line(out: subprocess.CompletedProcess, *expected: str) -> str:
    assert out.returncode == 2, (out.returncode, out.stdout, out.stderr)
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("dbxray: error: ")
    assert "Traceback" not in out.stderr and out.stdout == ""
    assert SECRET not in out.stderr
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def accounts(my_db):
    my, db = my_db
    my.run(db, "CREATE TABLE t (id INT PRIMARY KEY, a INT, KEY k1 (a), KEY k2 (a));")
    made = []

    def make(name: str, grants: list[str]) -> str:
        user = f"{name}_{db}"[:32]
        my.run(None, f"CREATE USER '{user}'@'%' IDENTIFIED BY '{SECRET}'")
        for grant in grants:
            my.run(None, grant.format(user=user, db=db))
        made.append(user)
        return user

    yield my, db, make
    for user in made:
        with contextlib.suppress(Exception):
            my.run(None, f"DROP USER '{user}'@'%'")


def test_json_report_follows_the_contract_and_hides_the_password(accounts):
    my, db, make = accounts
    user = make("mon", ["GRANT SELECT, PROCESS ON *.* TO '{user}'@'%'"])
    out = _dbxray("report", "--dsn", my.dsn(db, user=user, password=SECRET), "--format", "json")
    assert out.returncode == 0, out.stderr
    assert SECRET not in out.stdout and SECRET not in out.stderr
    data = json.loads(out.stdout)
    assert data["target"]["engine"] == "mysql" and data["target"]["flavor"] == "mariadb"
    assert data["target"]["database"] == db and data["schema_version"]
    checks = {(f["check"], f["object"].get("index")) for f in data["findings"]}
    assert ("duplicate_index", "k2") in checks
    for f in data["findings"]:
        assert set(f) == {"id", "check", "severity", "title", "object", "evidence", "recommendation", "sql",
                          "source"}
    # --fail-on turns a warning into a non-zero exit for CI gates
    gate = _dbxray("report", "--dsn", my.dsn(db), "--format", "json", "--fail-on", "warning")
    assert gate.returncode == 1


def test_wrong_password(accounts):
    my, db, make = accounts
    user = make("pw", [])
    out = _dbxray("report", "--dsn", my.dsn(db, user=user, password=SECRET + "x"))
    _assert_one_clear_line(out, "authentication failed", user)


def test_unknown_database(my):
    out = _dbxray("report", "--dsn", my.dsn("no_such_database_here"))
    _assert_one_clear_line(out, "database 'no_such_database_here' does not exist")


def test_server_down():
    port = free_port()
    out = _dbxray("report", "--dsn", f"mysql://root:{SECRET}@127.0.0.1:{port}/shop", "--connect-timeout", "2")
    _assert_one_clear_line(out, "cannot reach", f"127.0.0.1:{port}")


def test_user_without_privileges(accounts):
    my, db, make = accounts
    user = make("nopriv", [])
    out = _dbxray("report", "--dsn", my.dsn(db, user=user, password=SECRET))
    _assert_one_clear_line(out, f"user '{user}' has no access to database '{db}'")


def test_malformed_dsn():
    out = _dbxray("report", "--dsn", f"mysql://root:{SECRET}@127.0.0.1:notaport/x")
    _assert_one_clear_line(out, "malformed MySQL DSN")


def test_indexes_dispatches_to_the_mysql_advisor(my_db):
    """``dbxray indexes`` on MySQL/MariaDB runs its own advisor; ``--verify`` is PostgreSQL's alone."""
    my, db = my_db
    result = _dbxray("indexes", "--no-progress", "--dsn", my.dsn(db), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["kind"] == "indexes"
    verify = _dbxray("indexes", "--no-progress", "--dsn", my.dsn(db), "--verify")
    assert verify.returncode == 2 and "PostgreSQL only" in verify.stderr
