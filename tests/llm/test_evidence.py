"""The evidence document: ids on every item, the report's own diagnosis, a size that fits."""

from __future__ import annotations

import datetime as dt
import json
import time

import pandas as pd
import pytest

from dbxray.findings import Finding
from dbxray.llm.advise import prepare
from dbxray.llm.client import LLMFailure
from dbxray.llm.evidence import build_evidence, statement_rows
from dbxray.llm.settings import LLMSettings
from tests.llm.helpers import all_ids


def tiny_report(evidence: dict | None = None, settings: list[dict] | None = None):
    """A report of one plan finding on public.users, and the snapshot it came from (no server)."""
    from dbxray.diagnose import diagnose
    from dbxray.report.build import Report
    from dbxray.snapshot import Snapshot

    now = dt.datetime.now(dt.UTC)
    frames = {
        "tables": pd.DataFrame([{"schema": "public", "table": "users", "total_bytes": 10_000_000,
                                 "n_live_tup": 100_000, "seq_scan": 50, "idx_scan": 3}]),
        "indexes": pd.DataFrame([{"schema": "public", "table": "users", "index": "users_pkey", "columns": ["id"],
                                  "is_unique": True, "is_primary": True, "is_valid": True, "idx_scan": 3}]),
        "settings": pd.DataFrame(settings or [{"name": "work_mem", "setting": "4096", "unit": "kB",
                                               "source": "default", "boot_val": "4096"}]),
    }
    snapshot = Snapshot("postgres", "15.4", 150004, "app", "db1.internal.example", now, frames)
    finding = Finding("filter_inefficiency", "warning", "Seq Scan on users discards 99% of the rows it reads",
                      {"schema": "public", "table": "users", "query_id": "77"},
                      {"rows_removed": 99_000, **(evidence or {})}, "Filter earlier.")
    report = Report(kind="report", target={}, collected_at=now, summary={"database": {}})
    report.add([finding])
    report.diagnosis = diagnose(report.findings)
    return report, snapshot


@pytest.fixture(scope="module")
def shop_report(shop):
    from dbxray.config import Config
    from dbxray.connect import connect
    from dbxray.pipeline import live_report

    with connect(shop.dsn()) as session:
        return live_report(session, Config(checks={"slow_query": {"mean_ms": 0.2, "min_calls": 5}}))


def test_every_item_has_a_unique_string_id(shop_report):
    snapshot, report = shop_report
    evidence = build_evidence(report, snapshot, statement_rows(snapshot))
    ids = all_ids(evidence.document)
    assert all(isinstance(i, str) and i for i in ids)
    assert len(ids) == len(set(ids))
    assert set(ids) == evidence.ids
    assert {f.id for f in report.findings} <= evidence.ids  # the report's own finding ids
    assert json.loads(evidence.text) == evidence.document


def test_the_payload_diagnosis_is_the_reports(shop_report):
    """Recomputed from the redacted findings, it ranks the same bottlenecks from the same findings."""
    snapshot, report = shop_report
    document = build_evidence(report, snapshot, statement_rows(snapshot)).document
    mine = [(b["id"], b["title"], b["finding_ids"]) for b in document["diagnosis"]["bottlenecks"]]
    theirs = [(f"bottleneck:{b.rank}", b.title, b.finding_ids) for b in report.diagnosis.bottlenecks]
    assert mine == theirs and mine


def test_a_small_budget_cuts_the_least_important_first(shop_report):
    snapshot, report = shop_report
    full = prepare(report, snapshot, LLMSettings(max_input_tokens=100_000))
    small = prepare(report, snapshot, LLMSettings(max_input_tokens=3000))
    assert small.estimated_tokens <= 3000 < full.estimated_tokens
    assert small.evidence.omitted and not full.evidence.omitted
    kept = {b["id"] for b in small.evidence.document["diagnosis"]["bottlenecks"]}
    assert "bottleneck:1" in kept


def test_a_budget_that_leaves_no_room_is_a_failure_not_a_silent_cut(shop_report):
    snapshot, report = shop_report
    with pytest.raises(LLMFailure, match="max_input_tokens"):
        prepare(report, snapshot, LLMSettings(max_input_tokens=1000))


def test_building_the_payload_is_fast(shop_report):
    snapshot, report = shop_report
    rows = statement_rows(snapshot)
    started = time.monotonic()
    build_evidence(report, snapshot, rows, 24_000)
    assert time.monotonic() - started < 0.3


def test_only_allowlisted_settings_and_no_credentials():
    settings = [{"name": "work_mem", "setting": "64", "unit": "kB", "source": "configuration file", "boot_val": "4096"},
                {"name": "primary_conninfo", "setting": "host=db0 password=CANARY_CONNINFO user=repl",
                 "source": "configuration file", "boot_val": ""},
                {"name": "archive_command", "setting": "scp %p backup:/CANARY_PATH/%f", "boot_val": ""}]
    report, snapshot = tiny_report(settings=settings)
    document = build_evidence(report, snapshot, []).document
    assert [s["id"] for s in document["settings"]] == ["setting:work_mem"]
    assert "CANARY" not in json.dumps(document)


def test_the_evidence_is_data_with_ids_only_the_model_can_cite():
    report, snapshot = tiny_report()
    document = build_evidence(report, snapshot, []).document
    assert document["database"]["host"].startswith("host-")
    assert "db1.internal.example" not in json.dumps(document)
    assert [f["id"] for f in document["findings"]] == ["filter_inefficiency:public.users:query=77"]
    assert document["tables"][0]["id"] == "table:public.users"
    assert document["indexes"][0] == {"id": "index:public.users.users_pkey", "columns": ["id"], "unique": True,
                                      "primary": True, "idx_scan": 3}
