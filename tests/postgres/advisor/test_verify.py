"""``--verify``: each proposed index is built for real, measured, and rolled back — nothing left behind,
not even when a statement times out, and a data-changing statement changes no data."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from dbxray.collect import run_collectors
from dbxray.connect import connect
from dbxray.demo.sandbox import PostgresSandbox, _chown_tree, _run_as, find_postgres_bindir, free_port
from dbxray.engines.postgres.advisor.advise import advise, advise_postgres
from dbxray.engines.postgres.advisor.verify import verify_findings
from tests.postgres.advisor.test_advisor import ACCOUNTS, seed


def _lookup_workload(db) -> None:
    seed(db, ACCOUNTS)
    db.workload("SELECT id, region FROM accounts WHERE email = %s", [(f"u{i}@example.com",) for i in range(1, 21)])


def test_verify_measures_a_real_speedup_and_leaves_no_index(hypo_db):
    _lookup_workload(hypo_db)
    before = hypo_db.index_defs()
    with connect(hypo_db.dsn) as session:
        findings = advise_postgres(session, run_collectors(session, only={"statements"}), verify=True)
    [f] = [f for f in findings if f.object["table"] == "accounts"]
    ev = f.evidence
    assert ev["verified"] is True and "verify_error" not in ev
    # the parameter was filled with a value from pg_stats (a real email), so the lookup finds a row
    assert ev["verify_params"][0]["$1"].endswith("@example.com")
    assert ev["verify_ms_before"][0] >= 10 * ev["verify_ms_after"][0], ev
    assert ev["verify_speedup"] >= 10 and ev["verify_build_ms"] > 0
    assert "Verified on this server" in f.recommendation
    assert hypo_db.index_defs() == before  # rolled back: pg_indexes unchanged


def test_verify_timeout_leaves_nothing_behind(hypo_db):
    _lookup_workload(hypo_db)
    before = hypo_db.index_defs()
    with connect(hypo_db.dsn) as session:
        advice = advise(session, run_collectors(session, only={"statements"}))
        assert advice.findings
        said = []
        verify_findings(session, advice.findings, advice.helped, statement_timeout=0.001, say=said.append)
        assert session.scalar("SELECT 1") == 1  # the session is still usable
    ev = advice.findings[0].evidence
    assert ev["verified"] is False and "timed out" in ev["verify_error"]
    assert "BLOCKS" in said[0] and "public.accounts" in said[0]
    assert hypo_db.index_defs() == before


def test_verify_of_a_delete_changes_no_data(hypo_db):
    seed(hypo_db, ACCOUNTS)
    hypo_db.workload("DELETE FROM accounts WHERE email = %s", [(f"u{i}@example.com",) for i in range(1, 21)])

    def rows() -> int:
        with hypo_db.server.connect(hypo_db.name) as conn:
            return conn.execute("SELECT count(*) FROM accounts").fetchone()[0]

    assert rows() == 100000 - 20
    before = hypo_db.index_defs()
    with connect(hypo_db.dsn) as session:
        findings = advise_postgres(session, run_collectors(session, only={"statements"}), verify=True)
    [f] = [f for f in findings if f.object["table"] == "accounts"]
    assert f.object["columns"] == ["email"] and f.evidence["verified"] is True
    email = f.evidence["verify_params"][0]["$1"]
    with hypo_db.server.connect(hypo_db.name) as conn:  # the measured DELETE really had a row to delete...
        assert conn.execute("SELECT count(*) FROM accounts WHERE email = %s", (email,)).fetchone()[0] == 1
    assert rows() == 100000 - 20  # ...and it was rolled back
    assert hypo_db.index_defs() == before


def _standby_of(primary: PostgresSandbox) -> tuple[object, str]:
    """A hot standby of ``primary`` (pg_basebackup -R), started on its own port; returns (stop, dsn)."""
    root = Path(tempfile.mkdtemp(prefix="dbxray-standby-"))
    _chown_tree(root, primary.os_user)
    port = free_port()
    run = {"capture_output": True, "text": True, "timeout": 120, **_run_as(primary.os_user)}
    subprocess.run([str(primary.bindir / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port), "-U",
                    "postgres", "-D", str(root / "data"), "-R", "-X", "stream", "-c", "fast"], check=True, **run)
    subprocess.run([str(primary.bindir / "pg_ctl"), "-D", str(root / "data"), "-l", str(root / "log"), "-w", "-o",
                    f"-p {port} -k {root}", "start"], check=True, **run)

    def stop() -> None:
        subprocess.run([str(primary.bindir / "pg_ctl"), "-D", str(root / "data"), "-m", "immediate", "stop"],
                       **run)
        shutil.rmtree(root, ignore_errors=True)

    return stop, f"postgresql://postgres@127.0.0.1:{port}/postgres"


def test_verify_is_refused_on_a_hot_standby_where_the_proof_still_works():
    if find_postgres_bindir() is None:
        pytest.skip("no PostgreSQL binaries to build a standby from")
    with PostgresSandbox(preload=()) as primary:
        primary.psql("CREATE EXTENSION hypopg; " + ACCOUNTS + " ANALYZE accounts;")
        stop, dsn = _standby_of(primary)
        try:
            exe = str(Path(sys.executable).with_name("dbxray"))
            query = ["-q", "SELECT id FROM accounts WHERE email = $1"]
            advice = subprocess.run([exe, "indexes", "--no-progress", "--dsn", dsn, *query, "--format", "json"],
                                    capture_output=True, text=True, timeout=120)
            verify = subprocess.run([exe, "indexes", "--no-progress", "--dsn", dsn, *query, "--verify"],
                                    capture_output=True, text=True, timeout=120)
        finally:
            stop()
    [f] = json.loads(advice.stdout)["findings"]  # HypoPG proves on a read-only standby too
    assert f["evidence"]["proven"] is True and f["object"]["columns"] == ["email"]
    assert verify.returncode == 2 and "hot standby" in verify.stderr and verify.stderr.count("\n") == 1
