"""End to end as a user behind a gateway runs it: the installed CLI, a live server, and the SDK's own
``ANTHROPIC_BASE_URL`` pointing at a local HTTP server that speaks the Messages API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

DBXRAY = str(Path(sys.executable).with_name("dbxray"))


class Gateway(BaseHTTPRequestHandler):
    seen: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers["content-length"]))
        Gateway.seen.append({"path": self.path, "headers": dict(self.headers), "body": json.loads(raw)})
        reply = {"id": "msg_gw", "type": "message", "role": "assistant", "model": "claude-haiku-5-5",
                 "stop_reason": "tool_use", "stop_sequence": None,
                 "usage": {"input_tokens": 5000, "output_tokens": 200},
                 "content": [{"type": "tool_use", "id": "toolu_gw", "name": "record_findings", "input": {
                     "summary": "Index orders.customer_id.",
                     "findings": [{"check": "missing_index", "severity": "warning", "title": "Index the lookups",
                                   "object": {"schema": "public", "table": "orders", "columns": ["customer_id"]},
                                   "evidence_ids": ["table:public.orders"], "recommendation": "Build it online.",
                                   "sql": "CREATE INDEX CONCURRENTLY ON public.orders (customer_id);"}]}}]}
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def gateway():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Gateway.seen = []
    yield f"http://127.0.0.1:{server.server_address[1]}/llm-gateway"
    server.shutdown()


@pytest.mark.parametrize("credential", ["ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN"])
def test_report_llm_through_a_gateway(gateway, shop, tmp_path, credential):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "DBXRAY_"))}
    env.update({"ANTHROPIC_BASE_URL": gateway, credential: "gw-secret-token"})
    proc = subprocess.run([DBXRAY, "report", "--dsn", shop.dsn(), "--config", str(shop.config(tmp_path)), "--llm",
                           "-f", "json", "--no-progress"], capture_output=True, text=True, env=env, timeout=180)
    assert proc.returncode == 0, proc.stderr
    (request,) = Gateway.seen
    assert request["path"] == "/llm-gateway/v1/messages"
    assert "gw-secret-token" in " ".join(request["headers"].values())
    assert "gw-secret-token" not in json.dumps(request["body"])
    data = json.loads(proc.stdout)
    ai = [f for f in data["findings"] if f["source"] == "llm"]
    assert [f["title"] for f in ai] == ["Index the lookups"]
    assert data["diagnosis"]["llm"]["summary"] == "Index orders.customer_id."
