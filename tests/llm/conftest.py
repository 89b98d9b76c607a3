"""A scripted Messages API behind ``httpx2.MockTransport``, injected through the SDK's ``http_client=``.

``api`` replaces the transport of every client dbxray makes: each request is recorded (parsed
body, headers) and answered by the next scripted reply. The SDK's own variables are set to test
values (the key is a canary the privacy tests look for), so no test can reach a real endpoint.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

API_KEY_CANARY = "sk-ant-api03-CANARYKEY7f3a9e"


def message(content: list[dict[str, Any]], stop_reason: str = "end_turn", model: str = "claude-haiku-5-5",
            usage: dict[str, int] | None = None) -> dict[str, Any]:
    return {"id": "msg_test", "type": "message", "role": "assistant", "model": model, "content": content,
            "stop_reason": stop_reason, "stop_sequence": None,
            "usage": usage or {"input_tokens": 1200, "output_tokens": 300, "cache_read_input_tokens": 0,
                               "cache_creation_input_tokens": 1100}}


def tool_use(name: str, data: Any, use_id: str = "toolu_1") -> dict[str, Any]:
    return {"type": "tool_use", "id": use_id, "name": name, "input": data}


def record(summary: str, findings: list[dict[str, Any]], stop_reason: str = "tool_use") -> dict[str, Any]:
    return message([tool_use("record_findings", {"summary": summary, "findings": findings})], stop_reason)


def finding(check: str, obj: dict[str, Any], evidence_ids: list[str], severity: str = "warning",
            title: str = "A model finding", sql: str = "", recommendation: str = "Do it.") -> dict[str, Any]:
    return {"check": check, "severity": severity, "title": title, "object": obj, "evidence_ids": evidence_ids,
            "recommendation": recommendation, "sql": sql}


def error(status: int, kind: str, text: str = "scripted failure") -> tuple[int, dict[str, Any]]:
    return status, {"type": "error", "error": {"type": kind, "message": text}}


class ScriptedAPI:
    """Replies in order; records every request. A reply is a Message dict, ``(status, json)``, or a
    callable of the request (to raise a transport error, e.g. a timeout)."""

    def __init__(self) -> None:
        self.replies: list[Any] = []
        self.requests: list[dict[str, Any]] = []

    def script(self, *replies: Any) -> ScriptedAPI:
        self.replies.extend(replies)
        return self

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [r["body"] for r in self.requests]

    @property
    def raw(self) -> list[str]:
        return [r["raw"] for r in self.requests]

    def handler(self, request: Any) -> Any:
        import httpx2

        raw = request.content.decode("utf-8")
        self.requests.append({"url": str(request.url), "headers": dict(request.headers), "raw": raw,
                              "body": json.loads(raw)})
        if not self.replies:
            return httpx2.Response(500, json={"type": "error", "error": {"type": "api_error",
                                                                         "message": "script exhausted"}})
        reply = self.replies.pop(0)
        if callable(reply):
            return reply(request)
        if isinstance(reply, tuple):
            status, data = reply
            return httpx2.Response(status, json=data, headers={"retry-after-ms": "5"})
        return httpx2.Response(200, json=reply, headers={"request-id": "req_test"})


@pytest.fixture
def api(monkeypatch) -> ScriptedAPI:
    import httpx2

    from dbxray.llm import client as llm_client

    scripted = ScriptedAPI()
    for name in ("ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_PROFILE", "ANTHROPIC_CUSTOM_HEADERS", "DBXRAY_LLM_MODEL",
                 "DBXRAY_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ANTHROPIC_API_KEY", API_KEY_CANARY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://api.stub.test")
    factory: Callable[[], Any] = lambda: httpx2.Client(transport=httpx2.MockTransport(scripted.handler))  # noqa: E731
    monkeypatch.setattr(llm_client, "http_client_factory", factory)
    return scripted


@pytest.fixture(scope="session")
def shop(pg):
    """The canary shop (tests.llm.shop), built once: a throwaway database on the test server."""
    from tests.llm.shop import build, drop_role

    db = pg.new_database("llm_shop")
    yield build(pg, db)
    pg.drop_database(db)
    drop_role(pg)


@pytest.fixture(scope="session")
def shop_snapshot(shop, tmp_path_factory):
    """A saved snapshot of the shop: ``report --snapshot FILE --llm`` runs the LLM path without a server."""
    from dbxray.pipeline import collect_snapshot

    path = tmp_path_factory.mktemp("llm") / "shop.json.gz"
    collect_snapshot(shop.dsn(password=False)).save(path)
    return path


try:  # the MariaDB fixtures, where this branch keeps them (main moved them to tests/conftest.py: nothing to import)
    from tests.mysql.conftest import my, my_db  # noqa: F401
except ImportError:
    pass
