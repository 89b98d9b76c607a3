"""What leaves the machine: one test per canary planted in a real database (tests.llm.shop).

The dry run prints the exact request body the SDK would send; each test greps it for its canary
and checks that the evidence it was hiding in is still there, normalized (so a test cannot pass
by the evidence simply being absent).
"""

from __future__ import annotations

import json

import pytest

from tests.llm.conftest import API_KEY_CANARY, record
from tests.llm.helpers import evidence_of, run
from tests.llm.shop import CANARIES, live_sessions


@pytest.fixture(scope="module")
def dry_run(shop, tmp_path_factory):
    """One dry run of ``report --llm`` on the shop while other sessions hold and wait for a lock."""
    import contextlib
    import io
    import os
    import sys

    from dbxray.cli import main

    config = shop.config(tmp_path_factory.mktemp("cfg"))
    out, err = io.StringIO(), io.StringIO()
    saved = sys.argv, os.environ.get("ANTHROPIC_API_KEY")
    os.environ["ANTHROPIC_API_KEY"] = API_KEY_CANARY
    sys.argv = ["dbxray", "report", "--dsn", shop.dsn(), "--config", str(config), "--llm-dry-run", "--no-progress"]
    try:
        with live_sessions(shop), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
                contextlib.suppress(SystemExit):
            main()
    finally:
        sys.argv = saved[0]
        if saved[1] is None:
            os.environ.pop("ANTHROPIC_API_KEY", None)
        else:
            os.environ["ANTHROPIC_API_KEY"] = saved[1]
    text = out.getvalue()
    assert text.strip(), err.getvalue()
    return text


def _evidence(raw: str) -> dict:
    return evidence_of(json.loads(raw))


def test_the_dry_run_is_the_request_body_and_sends_nothing(dry_run):
    body = json.loads(dry_run)
    assert {"model", "max_tokens", "system", "tools", "tool_choice", "messages"} <= set(body)
    assert _evidence(dry_run)["format"] == "dbxray-evidence"


def test_no_password_from_the_dsn(dry_run, shop):
    assert CANARIES["dsn_password"] not in dry_run
    assert shop.dsn() not in dry_run


def test_no_password_from_a_utility_statement(dry_run):
    """PostgreSQL 15 keeps ALTER ROLE ... PASSWORD '...' verbatim in pg_stat_statements."""
    assert CANARIES["password"] not in dry_run
    assert "ALTER ROLE llm_canary_role PASSWORD $1" in json.dumps(_evidence(dry_run)["statements"])


def test_no_api_key(dry_run):
    assert API_KEY_CANARY not in dry_run


def test_no_table_data_nor_pg_stats_values(dry_run, shop):
    assert CANARIES["row"] not in dry_run
    assert CANARIES["row_status"] not in dry_run  # a most-common value of orders.status in pg_stats
    tables = {t["id"] for t in _evidence(dry_run)["tables"]}
    assert "table:public.orders" in tables and "table:public.customers" in tables


def test_no_query_literals_even_when_pg_stat_statements_kept_them(dry_run, shop):
    statements = {s["id"]: s["query"] for s in _evidence(dry_run)["statements"]}
    assert CANARIES["literal"] not in dry_run and CANARIES["race"] not in dry_run
    assert statements[f"statement:{shop.race_query_id}"] == \
        "SELECT pg_sleep($1), count(*) FROM orders WHERE note = $2"
    assert any(q == "SELECT count(*) FROM orders WHERE status = $1" for q in statements.values())


def test_no_live_query_text_of_other_sessions(dry_run):
    assert CANARIES["live"] not in dry_run and CANARIES["live_waiter"] not in dry_run
    findings = {f["check"]: f for f in _evidence(dry_run)["findings"]}
    assert "idle_in_transaction" in findings
    assert findings["idle_in_transaction"]["evidence"]["last_query"] == "UPDATE orders SET status = $1 WHERE id = $2"


def test_no_index_predicate_constants(dry_run):
    assert CANARIES["partial"] not in dry_run
    indexes = {i["id"]: i for i in _evidence(dry_run)["indexes"]}
    assert indexes["index:public.orders.orders_status_partial_idx"]["predicate"] == "note = $1::text"


def test_plan_constants_in_finding_evidence_are_replaced():
    """A plan finding's filter and index condition carry constants: they leave as placeholders."""
    from tests.llm.test_evidence import tiny_report

    report, snapshot = tiny_report(evidence={"filter": "((email)::text = 'CANARY_FILTER_1'::text)",
                                             "index_cond": "(id = 4242424242)"})
    from dbxray.llm.evidence import build_evidence

    text = build_evidence(report, snapshot, []).text
    assert "CANARY_FILTER_1" not in text and "4242424242" not in text
    assert "((email)::text = $1::text)" in text and "(id = $1)" in text


def test_host_names_become_a_stable_alias(dry_run, shop):
    from dbxray.llm.redact import host_alias

    database = _evidence(dry_run)["database"]
    assert database["host"] == host_alias("127.0.0.1") and database["host"].startswith("host-")
    assert "127.0.0.1" not in dry_run
    assert "::1" not in dry_run  # pg_hba addresses of the weak_auth findings


def test_the_request_actually_sent_is_the_dry_run(api, shop, shop_snapshot, capsys, tmp_path):
    """The body the SDK puts on the wire equals the dry run's, byte for byte."""
    code, dry, _ = run(capsys, "report", "--snapshot", str(shop_snapshot), "--llm-dry-run")
    assert code == 0
    api.script(record("Nothing to add.", []))
    code, _, err = run(capsys, "report", "--snapshot", str(shop_snapshot), "--llm", "-f", "json")
    assert code == 0, err
    assert api.raw[0] == dry.rstrip("\n")
    assert API_KEY_CANARY not in api.raw[0]
    assert api.requests[0]["headers"].get("authorization", "").endswith(API_KEY_CANARY)  # in a header, not the body


def test_mysql_account_hosts_are_aliased_and_named_again_locally():
    """A MySQL account names a host ('app'@'10.1.2.3'): aliased in ids, objects and titles; a model
    finding about the alias is grounded, agrees with the rule finding, and shows the real host."""
    import datetime as dt

    import pandas as pd

    from dbxray.diagnose import diagnose
    from dbxray.findings import Finding
    from dbxray.llm.evidence import build_evidence
    from dbxray.llm.grounding import ground
    from dbxray.report.build import Report
    from dbxray.snapshot import Snapshot

    now = dt.datetime.now(dt.UTC)
    snapshot = Snapshot("mysql", "10.11.6-MariaDB", 101106, "app", "db7.corp.example", now,
                        {"tables": pd.DataFrame([{"schema": "app", "table": "t", "total_bytes": 1}])})
    rule = Finding("weak_auth", "warning", "Account 'app'@'10.1.2.3' has no password", {"role": "'app'@'10.1.2.3'"},
                   {"host": "10.1.2.3", "empty_password": True})
    report = Report(kind="report", target={}, collected_at=now, summary={"database": {}})
    report.add([rule])
    report.diagnosis = diagnose(report.findings)
    evidence = build_evidence(report, snapshot, [])
    assert "10.1.2.3" not in evidence.text and "db7.corp.example" not in evidence.text
    (sent,) = evidence.document["findings"]
    assert sent["object"]["role"].startswith("'app'@'host-")
    model = {"check": "weak_auth", "severity": "critical", "title": f"Lock {sent['object']['role']}",
             "object": sent["object"], "evidence_ids": [sent["id"]], "recommendation": "Set a password.",
             "sql": f"ALTER USER {sent['object']['role']} IDENTIFIED BY '...';"}
    (kept,) = ground([model], evidence, report.findings).kept
    assert kept.same_as == rule.id
    assert kept.object == {"role": "'app'@'10.1.2.3'"}
    assert kept.sql == "ALTER USER 'app'@'10.1.2.3' IDENTIFIED BY '...';"
    assert kept.evidence == {"evidence_ids": [rule.id]}


def test_build_payload_is_the_dry_run_body(shop_snapshot, capsys, monkeypatch):
    """``dbxray.llm.build_payload`` (for other checks of the payload) gives the body the dry run prints."""
    from dbxray.llm import build_payload
    from dbxray.pipeline import analyze_snapshot
    from dbxray.snapshot import Snapshot

    monkeypatch.delenv("DBXRAY_LLM_MODEL", raising=False)
    snap = Snapshot.load(shop_snapshot)
    built = json.loads(build_payload(analyze_snapshot(snap), snap))
    code, out, _ = run(capsys, "report", "--snapshot", str(shop_snapshot), "--llm-dry-run")
    assert code == 0 and built == json.loads(out)
