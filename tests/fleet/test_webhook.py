"""``--webhook``: the body a chat gets (Slack-compatible ``text``), the retry, and failures that are one
line without the URL's token; against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import time

import pytest

from dbxray.errors import BadInput
from dbxray.report.webhook import check_url, notify, payload, post_json, summary_text
from tests.fleet.helpers import make_result
from tests.fleet.hook_server import HookServer


@pytest.fixture
def hook():
    server = HookServer()
    yield server
    server.close()


def test_the_body_is_json_with_a_markdown_text_naming_targets_counts_and_top_bottlenecks(hook):
    results = [make_result("eu-prod", code=1), make_result("us-prod", code=2, error="connection refused (db9:5432)")]
    assert notify(hook.url, results, 2) is None
    request = hook.requests[0]
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["headers"]["User-Agent"].startswith("dbxray/")
    body = hook.json()
    text = body["text"]
    assert text.splitlines()[0] == "dbxray fleet report: 2 targets, 1 reported, 1 failed; exit 2"
    # worst first: the failed target, then the reported one with its counts and its top bottlenecks
    assert text.index("`us-prod`: ❌ connection refused (db9:5432)") < text.index("`eu-prod`")
    assert "`eu-prod` shop@db1 (postgres): 🔴 1 critical · 🟠 3 warning · 🔵 1 info" in text
    assert "1. 🔴 Sequence public.orders_id_seq is 96 % used (outage_risk)" in text
    assert "2. 🟠 62 % of statement time: SELECT … FROM orders WHERE customer_id = $1 (statement)" in text
    assert body["dbxray"]["exit_code"] == 2
    eu, us = body["dbxray"]["targets"]
    assert eu["findings"] == {"critical": 1, "warning": 3, "info": 1} and eu["bottlenecks"][0]["rank"] == 1
    assert us == {"name": "us-prod", "exit_code": 2, "status": "error", "seconds": 1.5,
                  "error": "connection refused (db9:5432)"}


def test_one_retry_after_a_server_error(hook):
    hook.statuses = [503, 200]
    assert post_json(hook.url, {"text": "hi"}, pause=0.05) is None
    assert len(hook.requests) == 2 and hook.json(0) == hook.json(1) == {"text": "hi"}


def test_two_failures_are_one_line_without_the_token(hook):
    hook.statuses = [500]
    line = post_json(hook.url, {"text": "hi"}, pause=0.05)
    assert len(hook.requests) == 2
    assert line == f"webhook POST to http://127.0.0.1:{hook.httpd.server_address[1]}/… failed (2 times): " \
                   "HTTP 500 Internal Server Error"
    assert "SECRET-TOKEN" not in line


def test_a_refused_request_is_not_retried(hook):
    hook.statuses = [404]
    line = post_json(hook.url, {"text": "hi"}, pause=0.05)
    assert len(hook.requests) == 1 and "HTTP 404" in line


def test_a_slow_endpoint_times_out_and_retries_once(hook):
    hook.delay = 1.0
    t0 = time.monotonic()
    line = post_json(hook.url, {"text": "hi"}, timeout=0.2, pause=0.05)
    assert time.monotonic() - t0 < 1.0
    assert "timed out" in line and len(hook.requests) == 2


def test_an_unreachable_endpoint_is_one_line():
    from dbxray.demo.sandbox import free_port

    line = post_json(f"https://hooks.example.invalid:{free_port()}/x/TOKEN", {"text": "hi"}, timeout=2, pause=0)
    assert line.startswith("webhook POST to https://hooks.example.invalid:") and "TOKEN" not in line
    line = post_json(f"http://127.0.0.1:{free_port()}/x", {"text": "hi"}, timeout=2, pause=0)
    assert "Connection refused" in line


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://host/x", "hooks.slack.com/services/T/B/X", "http://"])
def test_only_http_urls_are_taken(url):
    with pytest.raises(BadInput) as err:
        check_url(url)
    assert "--webhook must be an http:// or https:// URL" in str(err.value)


def test_a_huge_fleet_is_cut_to_what_a_chat_shows():
    results = [make_result(f"db-{i:03d}") for i in range(500)]
    text = summary_text(results, 0)
    assert len(text) < 36_000
    assert text.rstrip().splitlines()[-1].startswith("… and ") and "more target(s) not shown" in text
    assert len(payload(results, 0)["dbxray"]["targets"]) == 500


@pytest.mark.parametrize("error, expected", [
    ("cannot connect to postgresql://monitor@db1:5432/shop: refused", "cannot connect to db1:5432/shop: refused"),
    ("cannot connect to mysql://root:***@db2/shop", "cannot connect to db2/shop"),
    ("history store sqlite:////var/lib/dbxray/h.db is read-only", "history store sqlite:////var/lib/dbxray/h.db "
                                                                   "is read-only"),
])
def test_errors_in_the_message_carry_no_connection_string(error, expected):
    results = [make_result("x", code=2, error=error)]
    body = payload(results, 2)
    assert f"`x`: ❌ {expected}" in body["text"] and body["dbxray"]["targets"][0]["error"] == expected
