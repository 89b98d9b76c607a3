"""Canaries in every output channel: a password (in the DSN, and in an ``ALTER ROLE … PASSWORD`` other
sessions ran), a literal in another session's running statement, and a real table value (which
``indexes --verify`` reads from ``pg_stats``) must never appear in stdout, stderr, the JSON and
Markdown reports, a ``--save`` snapshot, the ``--history`` store, the logs (Python logging at DEBUG
on stderr), or the LLM payload (where that module exists).

Positive controls prove the canaries were reachable: ``--raw-queries`` does show the literal, and
``indexes --verify --show-values`` does show the table value.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
import zlib
from pathlib import Path

import psycopg
import pytest

DSN_PASSWORD = "Canary-DSN-pw-4e1b"
ROLE_PASSWORD = "Canary-role-pw-8a2c"
LITERAL = "canary-literal-9c1e"
TABLE_VALUE = "canary-table-value-7f3a@example.com"
CANARIES = (DSN_PASSWORD, ROLE_PASSWORD, LITERAL, TABLE_VALUE)


CONFIG = Path(__file__).with_name("test_trust_canary.toml")


def run(*args: str, debug_logs: bool = True) -> subprocess.CompletedProcess:
    """``dbxray ARGS`` through the real entry point, with every logger at DEBUG on stderr; the sessions'
    time thresholds lowered (so the canary sessions are findings with their statements)."""
    if args[0] == "report":
        args = (*args, "--config", str(CONFIG))
    code = textwrap.dedent(f"""
        import logging, sys
        {'logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)' if debug_logs else ''}
        from dbxray.cli import main
        sys.argv = {["dbxray", *args]!r}
        main()
    """)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)


def _blobs(data: bytes) -> list[bytes]:
    """The bytes, and whatever gzip/zlib streams inside them decompress to (stores compress snapshots)."""
    out = [data]
    for magic in (b"\x1f\x8b", b"\x78\x9c", b"\x78\x01", b"\x78\xda"):
        start = data.find(magic)
        while start >= 0:
            with contextlib.suppress(Exception):
                if magic == b"\x1f\x8b":
                    out.append(gzip.decompress(data[start:]))
                else:
                    out.append(zlib.decompressobj().decompress(data[start:]))
            start = data.find(magic, start + 1)
    return out


def assert_no_canary(where: str, data: str | bytes, canaries=CANARIES) -> None:
    blobs = _blobs(data.encode() if isinstance(data, str) else data)
    for canary in canaries:
        for blob in blobs:
            assert canary.encode() not in blob, f"{canary!r} leaked into {where}"


@pytest.fixture(scope="module")
def leaky(pg):
    """A database whose server holds every canary: a role password set by another session (idle in its
    transaction, so its statement stays in pg_stat_activity and in pg_stat_statements), a session
    running a statement with a literal, and a column whose most common value is the table canary."""
    name = pg.new_database("canary")
    pg.run(name, f"""
        CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
        CREATE TABLE accounts (id int PRIMARY KEY, email text, note text);
        INSERT INTO accounts SELECT g, CASE WHEN g % 3 = 0 THEN '{TABLE_VALUE}' ELSE 'u' || g || '@x.org' END, 'n'
          FROM generate_series(1, 60000) g;
        ANALYZE accounts;
    """)
    with pg.connect(name) as conn:
        conn.execute("DROP ROLE IF EXISTS canary_role")
        conn.execute("CREATE ROLE canary_role")
        for i in range(30):
            conn.execute("SELECT id FROM accounts WHERE email = %s", (f"u{i}@x.org",)).fetchall()
    idle = psycopg.connect(pg.dsn(name), application_name="canary-admin")
    idle.execute(f"ALTER ROLE canary_role PASSWORD '{ROLE_PASSWORD}'")  # left idle in transaction
    busy = psycopg.connect(pg.dsn(name), autocommit=True, application_name="canary-app")
    thread = threading.Thread(target=lambda: contextlib.suppress(psycopg.Error).__enter__() or
                              _quietly(busy, f"SELECT pg_sleep(60), '{LITERAL}' AS tag, count(*) FROM accounts"),
                              daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    with pg.connect(name) as conn:
        while time.monotonic() < deadline and not conn.execute(
                "SELECT 1 FROM pg_stat_activity WHERE application_name = 'canary-app' AND state = 'active'").fetchone():
            time.sleep(0.05)
    yield pg, name, pg.dsn(name, user="postgres", password=DSN_PASSWORD)
    with contextlib.suppress(Exception):
        idle.rollback()
        idle.close()
    with contextlib.suppress(Exception), pg.connect(name) as conn:
        conn.execute("SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'canary-app'")
    thread.join(30)
    with contextlib.suppress(Exception):
        busy.close()
    with contextlib.suppress(Exception), pg.connect() as conn:
        conn.execute("DROP ROLE IF EXISTS canary_role")
    pg.drop_database(name)


def _quietly(conn, sql: str) -> None:
    with contextlib.suppress(psycopg.Error):
        conn.execute(sql)


def test_report_in_every_format_and_file(leaky, tmp_path):
    _pg, _name, dsn = leaky
    store = f"sqlite:///{tmp_path / 'history.db'}"
    outputs = {}
    for fmt in ("text", "json", "markdown", "html"):
        out = tmp_path / f"report.{fmt}"
        result = run("report", "--format", fmt, "--dsn", dsn, "-o", str(out), "--save", str(tmp_path / "snap.json.gz"),
                     "--history", store)
        assert result.returncode in (0, 4), result.stderr[-3000:]
        assert_no_canary(f"{fmt} stderr", result.stderr)
        assert_no_canary(f"{fmt} stdout", result.stdout)
        outputs[fmt] = out.read_text()
        assert_no_canary(f"the {fmt} report", outputs[fmt])
    stdout = run("report", "--format", "json", "--dsn", dsn)
    assert_no_canary("stdout (json)", stdout.stdout)
    data = json.loads(stdout.stdout)
    # the canary statements were seen, with their literals normalized away
    queries = json.dumps(data)
    assert "canary-app" in queries and "pg_sleep($1)" in queries
    assert_no_canary("the saved snapshot", (tmp_path / "snap.json.gz").read_bytes())
    db_bytes = (tmp_path / "history.db").read_bytes()
    assert_no_canary("the history store (file bytes)", db_bytes)
    with sqlite3.connect(tmp_path / "history.db") as conn:
        for table, in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
            for row in conn.execute(f'SELECT * FROM "{table}"').fetchall():
                for value in row:
                    if isinstance(value, (bytes, str)):
                        assert_no_canary(f"the history store ({table})", value)
    listing = run("history", "--history", store, "--format", "json")
    assert listing.returncode == 0, listing.stderr
    assert_no_canary("dbxray history", listing.stdout + listing.stderr)


def test_raw_queries_is_the_opt_in_that_shows_them(leaky):
    """Positive control: the literal was there to leak; --raw-queries keeps it (documented as such)."""
    _pg, _name, dsn = leaky
    result = run("report", "--format", "json", "--raw-queries", "--dsn", dsn, debug_logs=False)
    assert LITERAL in result.stdout
    assert "--raw-queries" in " ".join(json.loads(result.stdout)["summary"]["notes"])
    assert DSN_PASSWORD not in result.stdout + result.stderr  # a password in the DSN: never, even then


def test_indexes_verify_hides_table_values_unless_asked(leaky):
    _pg, _name, dsn = leaky
    query = "SELECT id FROM accounts WHERE email = $1"
    hidden = run("indexes", "--verify", "--no-progress", "--format", "json", "--dsn", dsn, "-q", query)
    assert hidden.returncode == 0, hidden.stderr[-2000:]
    assert_no_canary("indexes --verify", hidden.stdout + hidden.stderr)
    data = json.loads(hidden.stdout)
    verified = [f for f in data["findings"] if f["evidence"].get("verify_params")]
    assert verified, data["findings"]
    assert "hidden" in json.dumps(verified[0]["evidence"]["verify_params"])
    shown = run("indexes", "--verify", "--show-values", "--no-progress", "--format", "json", "--dsn", dsn,
                "-q", query, debug_logs=False)
    assert TABLE_VALUE in shown.stdout  # positive control: the value was read, and is shown only when asked
    assert DSN_PASSWORD not in shown.stdout + shown.stderr


def test_help_says_verify_reads_real_values():
    result = subprocess.run([str(Path(sys.executable).with_name("dbxray")), "indexes", "--help"],
                            capture_output=True, text=True, timeout=60, env={"COLUMNS": "200", "PATH": ""})
    text = " ".join(result.stdout.split())
    assert "pg_stats" in text and "--show-values" in text
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert "--show-values" in readme and "--raw-queries" in readme


def test_llm_payload(leaky):
    """The dry run is the proof of what would leave the network: the exact request body ``--llm`` sends."""
    _pg, _name, dsn = leaky
    result = run("report", "--llm-dry-run", "--dsn", dsn)
    assert result.returncode == 0, result.stderr[-2000:]
    body = json.loads(result.stdout)
    assert body["tools"] and body["messages"]
    assert_no_canary("the LLM request body (--llm-dry-run)", result.stdout)
    assert_no_canary("--llm-dry-run stderr", result.stderr)
    assert "pg_sleep($1)" in result.stdout or "pg_sleep(" not in result.stdout  # seen only normalized
