"""``dbxray report --llm``: the request on the wire, grounding of the model's findings, and rendering."""

from __future__ import annotations

import json

import pytest

from dbxray.findings import OBJECT_KEYS
from tests.llm.conftest import finding, record
from tests.llm.helpers import evidence_of, run


@pytest.fixture
def config(shop, tmp_path):
    return str(shop.config(tmp_path))


def _report(capsys, snapshot, config, *extra: str) -> tuple[int, dict, str]:
    code, out, err = run(capsys, "report", "--snapshot", str(snapshot), "--config", config, "-f", "json", *extra)
    return code, json.loads(out), err


def test_the_request_follows_the_wire_contract(api, shop_snapshot, config, capsys):
    api.script(record("Index orders.customer_id first.", []))
    code, _, err = _report(capsys, shop_snapshot, config, "--llm")
    assert code == 0, err
    (req,) = api.requests
    body = req["body"]
    assert req["url"] == "http://api.stub.test/v1/messages"
    assert body["model"] == "claude-haiku-5-5"
    assert body["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert "Evidence first" in body["system"][0]["text"] and "undo" in body["system"][0]["text"]
    assert [t["name"] for t in body["tools"]] == ["record_findings"]
    assert body["tool_choice"] == {"type": "tool", "name": "record_findings", "disable_parallel_tool_use": True}
    assert body["thinking"] == {"type": "disabled"}
    item = body["tools"][0]["input_schema"]["properties"]["findings"]["items"]
    assert set(item["properties"]["object"]["properties"]) == set(OBJECT_KEYS)
    assert item["required"] == ["check", "severity", "title", "object", "evidence_ids", "recommendation", "sql"]
    document = evidence_of(body)
    assert document["database"]["id"] == "database"
    assert all(isinstance(f["id"], str) for f in document["findings"]) and document["findings"]


def test_a_model_that_rejects_a_forced_tool_gets_auto_and_no_thinking_switch(api, shop_snapshot, config, capsys):
    api.script(record("ok", []))
    code, data, _ = _report(capsys, shop_snapshot, config, "--llm", "--model", "claude-sonnet-5-5")
    assert code == 0
    body = api.bodies[0]
    assert body["model"] == "claude-sonnet-5-5" and data["diagnosis"]["llm"]["model"] == "claude-sonnet-5-5"
    assert body["tool_choice"] == {"type": "auto"} and "thinking" not in body


def test_grounded_findings_join_the_report_and_the_rest_are_dropped_with_the_reason(api, shop_snapshot, config,
                                                                                    capsys):
    code, plain, _ = _report(capsys, shop_snapshot, config)
    assert code == 0
    rule = {f["id"]: f for f in plain["findings"]}
    dup = next(f for f in plain["findings"] if f["check"] == "duplicate_index")
    orders = {"schema": "public", "table": "orders"}
    api.script(record("Drop the duplicate index, then index customer_id.", [
        finding("duplicate_index", dup["object"], [dup["id"], "table:public.orders"], title="Same as the rules",
                sql="DROP INDEX CONCURRENTLY public.orders_status_dup_idx;\n-- undo: CREATE INDEX CONCURRENTLY "
                    "orders_status_dup_idx ON public.orders (status);"),
        finding("missing_index", {**orders, "columns": ["customer_id"]}, ["table:public.orders"],
                title="Index the customer lookups", sql="CREATE INDEX CONCURRENTLY ON public.orders (customer_id);"),
        finding("index_design", orders, ["finding:made-up"], title="Cites what is not there"),
        finding("missing_primary_key", {"schema": "public", "table": "invoices"}, ["database"], title="No such table"),
        finding("unused_index", {**orders, "index": "orders_ghost_idx"}, ["table:public.orders"],
                title="No such index"),
        finding("duplicate_index", dup["object"], [dup["id"]], title="Drop without undo",
                sql="DROP INDEX public.orders_status_dup_idx;", recommendation="Just drop it."),
        {**finding("setting", {"setting": "work_mem"}, ["database"]), "severity": "urgent"},
    ]))
    code, data, err = _report(capsys, shop_snapshot, config, "--llm")
    assert code == 0, err
    llm = data["diagnosis"]["llm"]
    assert (llm["findings_kept"], llm["findings_dropped"]) == (2, 5)
    reasons = {d["title"]: d["reason"] for d in llm["dropped"]}
    assert reasons["Cites what is not there"].startswith("ungrounded: cites id(s) not in the evidence: finding:made-up")
    assert reasons["No such table"] == "ungrounded: table public.invoices is not in the snapshot"
    assert reasons["No such index"] == "ungrounded: index orders_ghost_idx is not on public.orders"
    assert reasons["Drop without undo"] == "unsafe: a DROP or TRUNCATE without its undo"
    assert reasons["A model finding"].startswith("malformed: severity 'urgent'")
    ai = {f["title"]: f for f in data["findings"] if f["source"] == "llm"}
    assert ai["Same as the rules"]["same_as"] == dup["id"] and llm["agreed"] == [dup["id"]]
    assert ai["Index the customer lookups"]["id"] == "llm:missing_index:public.orders:customer_id"
    assert "same_as" not in ai["Index the customer lookups"]
    assert ai["Same as the rules"]["evidence"] == {"evidence_ids": [dup["id"], "table:public.orders"]}
    # the rule findings and the diagnosis are exactly what they were without the model
    assert [f for f in data["findings"] if f["source"] != "llm"] == plain["findings"]
    assert {k: v for k, v in data["diagnosis"].items() if k != "llm"} == plain["diagnosis"]
    assert rule  # the comparison above saw rule findings


def test_text_and_markdown_mark_the_model_findings(api, shop_snapshot, config, capsys):
    orders = {"schema": "public", "table": "orders", "columns": ["customer_id"]}
    reply = record("Index customer_id.", [finding("missing_index", orders, ["table:public.orders"],
                                                  title="Index the customer lookups")])
    api.script(reply, reply)
    code, text, _ = run(capsys, "report", "--snapshot", str(shop_snapshot), "--config", config, "--llm")
    assert code == 0
    assert "[AI] review by claude-haiku-5-5" in text
    assert any("Index the customer lookups" in line and "[AI]" in line for line in text.splitlines())
    code, md, _ = run(capsys, "report", "--snapshot", str(shop_snapshot), "--config", config, "--llm", "-f", "markdown")
    assert code == 0
    assert "### 🤖 AI review (`claude-haiku-5-5`)" in md
    assert any("Index the customer lookups · 🤖 AI" in line for line in md.splitlines())


def test_live_report_with_the_model(api, shop, config, capsys):
    """The whole path on a live server: collect, check, plan, diagnose, then the model."""
    api.script(record("Fine.", [finding("missing_fk_index", {"schema": "public", "table": "orders",
                                                               "columns": ["customer_id"]}, ["table:public.orders"])]))
    code, out, err = run(capsys, "report", "--dsn", shop.dsn(), "--config", config, "--llm", "-f", "json",
                         "--no-progress")
    assert code == 0, err
    data = json.loads(out)
    assert data["diagnosis"]["llm"]["findings_kept"] == 1
    assert data["diagnosis"]["llm"]["usage"]["input_tokens"] == 1200
    assert data["diagnosis"]["llm"]["payload"]["estimated_tokens"] <= 8000
