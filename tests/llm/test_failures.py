"""Every way the model call can fail leaves the rule report whole: one line on stderr, exit 4
(or 0 with --allow-partial), never a traceback. Retries are the SDK's, and bounded."""

from __future__ import annotations

import json

import pytest

from tests.llm.conftest import error, message, record, tool_use
from tests.llm.helpers import run


def _raise(exc_name: str):
    def reply(request):
        import httpx2

        raise getattr(httpx2, exc_name)("scripted transport failure", request=request)
    return reply


FAILURES = {
    "auth": ([error(401, "authentication_error", "invalid x-api-key")], 1, "authentication failed"),
    "permission": ([error(403, "permission_error")], 1, "permission denied"),
    "rate_limit": ([error(429, "rate_limit_error")] * 3, 3, "rate limited, still after 2 retries"),
    "overloaded": ([error(529, "overloaded_error")] * 3, 3, "overloaded, still after 2 retries"),
    "timeout": ([_raise("ReadTimeout")] * 3, 3, "no answer within 60.0 s"),
    "connection": ([_raise("ConnectError")] * 3, 3, "cannot reach the API at http://api.stub.test"),
    "no_tool": ([message([{"type": "text", "text": "I think you should add an index."}])], 1,
                "the reply has no record_findings call (stop_reason end_turn)"),
    "truncated": ([message([tool_use("record_findings", {"summary": "Cut sh"})], stop_reason="max_tokens")], 1,
                  "the reply was cut at max_tokens=8192"),
    "malformed": ([message([tool_use("record_findings", {"summary": "ok", "findings": "none"})], "tool_use")], 1,
                  "record_findings input has no findings list"),
    "refusal": ([message([], stop_reason="refusal")], 1, "the model declined to answer"),
}


@pytest.fixture
def plain(shop_snapshot, capsys, monkeypatch):
    """The rule report of the shop snapshot, without the model."""
    code, out, _ = run(capsys, "report", "--snapshot", str(shop_snapshot), "-f", "json")
    assert code == 0
    return json.loads(out)


@pytest.mark.parametrize("kind", sorted(FAILURES))
def test_a_failed_call_keeps_the_report_and_exits_4(kind, api, plain, shop_snapshot, capsys):
    replies, attempts, text = FAILURES[kind]
    api.script(*replies)
    code, out, err = run(capsys, "report", "--snapshot", str(shop_snapshot), "-f", "json", "--llm")
    assert code == 4
    assert len(api.requests) == attempts
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("dbxray: incomplete: llm: ") and text in lines[0], err
    assert "Traceback" not in err
    data = json.loads(out)
    assert data["findings"] == plain["findings"]
    assert data["diagnosis"]["bottlenecks"] == plain["diagnosis"]["bottlenecks"]
    assert data["diagnosis"]["llm"]["error"]["kind"] == kind
    assert data["summary"]["incomplete"][-1].startswith("llm: ")


def test_allow_partial_exits_0_and_still_says_what_failed(api, shop_snapshot, capsys):
    api.script(error(401, "authentication_error"))
    code, out, err = run(capsys, "report", "--snapshot", str(shop_snapshot), "--llm", "--allow-partial")
    assert code == 0
    assert err.strip().startswith("dbxray: llm: authentication failed") and "the rule report is complete" in err
    assert "no AI review: authentication failed" in out


def test_an_overloaded_api_is_retried_by_the_sdk(api, shop_snapshot, capsys):
    api.script(error(529, "overloaded_error"), record("ok", []))
    code, out, _ = run(capsys, "report", "--snapshot", str(shop_snapshot), "--llm", "-f", "json")
    assert code == 0 and json.loads(out)["diagnosis"]["llm"]["summary"] == "ok"
    assert [r["headers"].get("x-stainless-retry-count") for r in api.requests] == ["0", "1"]


def test_max_retries_from_the_config_bounds_the_attempts(api, shop_snapshot, capsys, tmp_path):
    config = tmp_path / "dbxray.toml"
    config.write_text("[llm]\nmax_retries = 0\n", encoding="utf-8")
    api.script(error(429, "rate_limit_error"), record("never reached", []))
    code, _, err = run(capsys, "report", "--snapshot", str(shop_snapshot), "--llm", "--config", str(config))
    assert code == 4 and len(api.requests) == 1 and "after 0 retries" in err


def test_a_missing_key_fails_before_connecting(monkeypatch, capsys):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
    for args in (["report", "--llm"], ["ask", "why?"]):
        code, out, err = run(capsys, *args, "--dsn", "postgresql://nobody@127.0.0.1:9/nowhere")
        assert code == 2 and out == ""
        assert err.strip().splitlines() == [
            "dbxray: error: the LLM needs an API key: set ANTHROPIC_API_KEY (or ANTHROPIC_AUTH_TOKEN for a gateway); "
            "--llm-dry-run shows the request without one"]


def test_an_unknown_llm_key_in_the_config_is_exit_2(shop_snapshot, capsys, tmp_path):
    config = tmp_path / "dbxray.toml"
    config.write_text("[llm]\nmodle = 'claude-haiku-5-5'\n", encoding="utf-8")
    code, _, err = run(capsys, "report", "--snapshot", str(shop_snapshot), "--llm-dry-run", "--config", str(config))
    assert code == 2 and "modle" in err and "[llm]" in err and len(err.strip().splitlines()) == 1
