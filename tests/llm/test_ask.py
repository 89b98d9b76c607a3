"""``dbxray ask``: a bounded loop of read-only tools on the live session, then a grounded answer."""

from __future__ import annotations

import json
import re

import pytest

from tests.llm.conftest import error, finding, message, record, tool_use
from tests.llm.helpers import evidence_of, run
from tests.llm.shop import CANARIES, live_sessions


def _qid(shop, like: str) -> str:
    with shop.server.connect(shop.db) as conn:
        # this database's entry: the suite's other databases run the same statement texts
        return conn.execute("SELECT queryid::text FROM pg_stat_statements WHERE query LIKE %s AND dbid = "
                            "(SELECT oid FROM pg_database WHERE datname = current_database()) LIMIT 1",
                            (like,)).fetchone()[0]


def _results(body: dict) -> dict[str, dict]:
    """tool_use_id -> tool_result block of the request's last (user) message."""
    return {b["tool_use_id"]: b for b in body["messages"][-1]["content"] if b.get("type") == "tool_result"}


def test_a_multi_step_answer_with_tools(api, shop, capsys):
    orders = {"schema": "public", "table": "orders", "columns": ["customer_id"]}
    api.script(
        message([tool_use("generic_plan", {"query_id": shop.race_query_id}, "toolu_1")], "tool_use"),
        message([tool_use("table_stats", {"table": "orders"}, "toolu_2"), tool_use("lock_graph", {}, "toolu_3")],
                "tool_use"),
        record("orders is scanned whole for every customer lookup: index customer_id.", [
            finding("missing_index", orders, [f"statement:{shop.race_query_id}", "table:public.orders"],
                    title="Index orders.customer_id",
                    sql="CREATE INDEX CONCURRENTLY ON public.orders (customer_id);\n-- undo: DROP INDEX ...")]),
    )
    with live_sessions(shop):
        code, out, err = run(capsys, "ask", "--dsn", shop.dsn(), "--no-progress", "why is checkout slow?")
    assert code == 0, err
    first, second, third = api.bodies
    assert all(b["tool_choice"] == {"type": "auto"} for b in api.bodies)
    assert [t["name"] for t in first["tools"]] == ["generic_plan", "table_stats", "hypothetical_index", "settings",
                                                   "top_statements", "lock_graph", "record_findings"]
    assert "Question: why is checkout slow?" in first["messages"][0]["content"][0]["text"]
    assert evidence_of(first)["format"] == "dbxray-evidence"
    plan = json.loads(_results(second)["toolu_1"]["content"])
    scan = next(n for n in plan["nodes"] if n.get("relation") == "orders")
    # the constant pg_stat_statements kept (or a placeholder, when the snapshot was normalized) never a literal
    assert re.fullmatch(r"\(orders\.note = \$\d+(::text)?\)", scan["filter"]), scan["filter"]
    assert second["messages"][-2]["role"] == "assistant"  # the reply is sent back as it came
    stats = json.loads(_results(third)["toolu_2"]["content"])
    assert stats["id"] == "table:public.orders" and stats["statistics"]["n_live_tup"] > 0
    locks = json.loads(_results(third)["toolu_3"]["content"])
    assert locks["waiting"] >= 1
    assert {s.get("query") for s in locks["sessions"]} >= {"UPDATE orders SET status = $1 WHERE id = $2",
                                                           "UPDATE orders SET note = $1 WHERE id = $2"}
    for body in api.raw:
        for canary in ("race", "live", "live_waiter", "row", "literal", "password"):
            assert CANARIES[canary] not in body
    assert "[AI] answer (claude-haiku-5-5)" in out and "Index orders.customer_id" in out
    tool_lines = [line for line in err.splitlines() if line.startswith("dbxray: tool ")]
    assert [line.split()[2] for line in tool_lines] == ["generic_plan", "table_stats", "lock_graph"]
    assert all(" bytes, " in line for line in tool_lines)


def test_json_lists_the_tool_calls_and_their_sizes(api, shop, capsys):
    api.script(message([tool_use("top_statements", {"order_by": "calls", "limit": 3})], "tool_use"),
               record("Answer.", []))
    code, out, err = run(capsys, "ask", "--dsn", shop.dsn(), "--no-progress", "-f", "json", "what runs most?")
    assert code == 0, err
    data = json.loads(out)
    (call,) = data["tool_calls"]
    assert call["name"] == "top_statements" and call["result_bytes"] > 50 and call["error"] is False
    assert data["answer"] == "Answer." and data["requests"] == 2
    assert "dbxray: tool" not in err  # JSON mode: the calls are in the document


def test_a_hypothetical_index_is_tested_through_the_advisor(api, shop, capsys):
    lookup = _qid(shop, "SELECT id, total FROM orders WHERE customer_id = %")
    api.script(message([tool_use("hypothetical_index", {"table": "public.orders", "columns": ["customer_id"],
                                                        "query_ids": [lookup]})], "tool_use"),
               record("Proven.", []))
    code, _, err = run(capsys, "ask", "--dsn", shop.dsn(), "--no-progress", "-f", "json", "would an index help?")
    assert code == 0, err
    result = json.loads(_results(api.bodies[1])["toolu_1"]["content"])
    if result.get("method") == "none":
        pytest.skip(f"HypoPG is not usable on this server: {result.get('reason')}")
    assert result.get("proven") is True and result["cost_after"][0] < result["cost_before"][0], result


def test_when_the_tool_budget_is_spent_the_answer_is_forced(api, shop, capsys):
    api.script(message([tool_use("table_stats", {"table": "customers"}, "toolu_1"),
                        tool_use("settings", {"names": ["work_mem", "primary_conninfo"]}, "toolu_2")], "tool_use"),
               record("Done.", []))
    code, _, err = run(capsys, "ask", "--dsn", shop.dsn(), "--no-progress", "--max-tool-calls", "1", "q?")
    assert code == 0, err
    results = _results(api.bodies[1])
    assert results["toolu_2"]["is_error"] and "budget is spent" in results["toolu_2"]["content"]
    assert api.bodies[1]["tool_choice"] == {"type": "tool", "name": "record_findings",
                                            "disable_parallel_tool_use": True}
    assert api.bodies[1]["thinking"] == {"type": "disabled"}


def test_a_model_without_forced_tools_is_nudged_instead(api, shop, capsys):
    api.script(message([tool_use("settings", {"names": ["work_mem", "primary_conninfo"]})], "tool_use"),
               record("Done.", []))
    code, _, err = run(capsys, "ask", "--dsn", shop.dsn(), "--no-progress", "--max-tool-calls", "1",
                       "--model", "claude-sonnet-5-5", "q?")
    assert code == 0, err
    last = api.bodies[1]["messages"][-1]["content"]
    assert api.bodies[1]["tool_choice"] == {"type": "auto"}
    assert last[-1] == {"type": "text", "text": "The tool budget is spent. Call record_findings now with your answer "
                                                "from what you have; do not call any other tool."}
    shown = json.loads(last[0]["content"])["settings"]
    assert shown["primary_conninfo"] == {"withheld": "may hold credentials, hosts or paths"}
    assert shown["work_mem"]["setting"]


def test_unknown_tools_and_prose_answers_do_not_end_the_loop(api, shop, capsys):
    api.script(message([tool_use("run_sql", {"sql": "SELECT * FROM customers"})], "tool_use"),
               message([{"type": "text", "text": "Probably an index."}]),
               record("An index on customer_id.", []))
    code, _, err = run(capsys, "ask", "--dsn", shop.dsn(), "--no-progress", "q?")
    assert code == 0, err
    assert _results(api.bodies[1])["toolu_1"]["is_error"] is True
    assert "no tool named run_sql" in _results(api.bodies[1])["toolu_1"]["content"]
    assert api.bodies[2]["tool_choice"]["type"] == "tool"  # the prose answer is asked again, as the tool


def test_a_failed_answer_shows_the_rule_diagnosis_and_exits_4(api, shop, capsys):
    api.script(error(401, "authentication_error"))
    code, out, err = run(capsys, "ask", "--dsn", shop.dsn(), "--no-progress", "why?")
    assert code == 4
    assert "No AI answer: authentication failed" in out and "Rule diagnosis:" in out
    assert err.strip().splitlines() == ["dbxray: llm: authentication failed: check ANTHROPIC_API_KEY (HTTP 401: "
                                        "scripted failure) (the rule diagnosis is shown instead)"]
    api.script(error(401, "authentication_error"))
    code, out, _ = run(capsys, "ask", "--dsn", shop.dsn(), "--no-progress", "-f", "json", "--allow-partial", "why?")
    data = json.loads(out)
    assert code == 0 and data["error"]["kind"] == "auth" and data["diagnosis"]["bottlenecks"]


def test_ask_dry_run_needs_no_key_and_sends_nothing(monkeypatch, shop, capsys):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with live_sessions(shop):
        code, out, err = run(capsys, "ask", "--dsn", shop.dsn(), "--no-progress", "--llm-dry-run", "why?")
    assert code == 0, err
    body = json.loads(out)
    assert body["tool_choice"] == {"type": "auto"} and len(body["tools"]) == 7
    for canary in CANARIES.values():
        assert canary not in out
