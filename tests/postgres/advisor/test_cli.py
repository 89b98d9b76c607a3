"""``dbxray indexes`` as a user drives it: only index advice, the report contract, bad input as one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.postgres.advisor.test_advisor import ACCOUNTS, seed

DBXRAY = str(Path(sys.executable).with_name("dbxray"))
LOOKUP = "SELECT id, region FROM accounts WHERE email = $1"


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([DBXRAY, "indexes", "--no-progress", *args], capture_output=True, text=True, timeout=120)


@pytest.fixture
def accounts(hypo_db):
    seed(hypo_db, ACCOUNTS)
    return hypo_db


def test_json_lists_only_index_advice(accounts):
    result = cli("--dsn", accounts.dsn, "--query", LOOKUP, "--format", "json")
    assert result.returncode == 0, result.stderr
    assert result.stdout.lstrip().startswith("{")
    data = json.loads(result.stdout)
    assert data["kind"] == "indexes" and data["target"]["database"] == accounts.name
    assert [f["check"] for f in data["findings"]] == ["missing_index"]
    f = data["findings"][0]
    assert set(f) == {"id", "check", "severity", "title", "object", "evidence", "recommendation", "sql",
                          "source"}
    assert f["sql"] == "CREATE INDEX CONCURRENTLY ON public.accounts (email);"
    assert f["evidence"]["proven"] is True and f["evidence"]["query_ids"] == ["user query"]
    assert data["summary"]["advisor"]["method"] == "hypopg" and data["summary"]["advisor"]["hypopg_calls"] > 0


def test_text_and_markdown(accounts, tmp_path):
    text = cli("--dsn", accounts.dsn, "-q", LOOKUP)
    assert text.returncode == 0 and "missing_index" in text.stdout and "CREATE INDEX CONCURRENTLY" in text.stdout
    out = tmp_path / "idx.md"
    md = cli("--dsn", accounts.dsn, "-q", LOOKUP, "--format", "markdown", "-o", str(out))
    assert md.returncode == 0 and "```sql" in out.read_text()


def test_min_improvement_option_and_config(accounts, tmp_path):
    data = json.loads(cli("--dsn", accounts.dsn, "-q", LOOKUP, "--format", "json",
                          "--min-improvement", "0.999").stdout)
    assert data["findings"] == []
    # the config section is shared with the MySQL advisor: its keys (min_calls) are not an error here
    cfg = tmp_path / "dbxray.toml"
    cfg.write_text("[checks.missing_index]\nmin_improvement = 0.999\nmin_calls = 20\n")
    result = cli("--dsn", accounts.dsn, "-q", LOOKUP, "--format", "json", "--config", str(cfg))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["findings"] == []
    cfg.write_text("[checks.missing_index]\nenabled = false\n")
    off = json.loads(cli("--dsn", accounts.dsn, "-q", LOOKUP, "--format", "json", "--config", str(cfg)).stdout)
    assert off["findings"] == [] and "disabled" in off["summary"]["notes"][0]


def test_verify_warns_about_the_lock_and_leaves_nothing(accounts):
    before = accounts.index_defs()
    result = cli("--dsn", accounts.dsn, "-q", "SELECT id FROM accounts WHERE email = 'u77@example.com'",
                 "--verify", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert "BLOCKS INSERT, UPDATE and DELETE" in result.stderr and "staging" in result.stderr
    ev = json.loads(result.stdout)["findings"][0]["evidence"]
    assert ev["verified"] is True and ev["verify_ms_before"][0] > ev["verify_ms_after"][0]
    assert accounts.index_defs() == before


@pytest.mark.parametrize("query, message", [
    ("SELECT 1; SELECT 2", "2 statements given"),
    ("DROP TABLE accounts", "not DropStmt"),
    ("SELEC 1", "cannot parse"),
])
def test_bad_queries_are_one_line(accounts, query, message):
    result = cli("--dsn", accounts.dsn, "-q", query)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr and "Traceback" not in result.stderr
    assert accounts.node_types("SELECT count(*) FROM accounts")  # the table is still there


def test_bad_dsn_is_one_line():
    result = cli("--dsn", "postgresql://nobody:secret@127.0.0.1:1/x")
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "secret" not in result.stderr
