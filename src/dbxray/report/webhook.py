"""``--webhook URL``: POST the run's summary as JSON to a chat or an alerting endpoint.

The body is ``{"text": <Markdown summary>, "dbxray": <the same as data>}``: Slack, Mattermost,
Rocket.Chat and Teams-style incoming webhooks read ``text``; anything else can read ``dbxray``.
The text names each target, its counts and its top bottlenecks, built from the reports alone:
never a DSN, a user or a password (error lines are already redacted). One POST per run, with
a timeout and one retry; a failure is one line and exit 4, the reports themselves already written.
The URL is a secret too (Slack's carries its token), so messages show its scheme and host only.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from dbxray.errors import BadInput

TIMEOUT_S = 10.0
RETRY_PAUSE_S = 2.0
TOP = 3  # bottlenecks per target in the text
MAX_TEXT = 35_000  # Slack truncates text beyond 40,000 characters
ICON = {"critical": "🔴", "warning": "🟠", "info": "🔵"}


def check_url(url: str) -> str:
    """The URL if it is http(s) with a host (urllib would also open file:// and ftp://)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(f"--webhook must be an http:// or https:// URL, not {safe_url(url)!r}")
    return url


def safe_url(url: str) -> str:
    """``https://hooks.example.com/…``: where the POST went, without the path's token or any userinfo."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(unparsable URL)"
    return f"{parts.scheme}://{host}{port}/…" if parts.scheme else "(not a URL)"


_DSN = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://(?:[^@\s/]*@)?([^\s/@]+)(/[^\s:;,)]*)?")


def no_dsn(text: str) -> str:
    """An error line without any connection string in it: ``postgresql://user@db1:5432/shop`` becomes
    ``db1:5432/shop`` (passwords are already redacted; users and URLs stay out of chat too)."""
    return _DSN.sub(lambda m: m.group(1) + (m.group(2) or ""), text)


def _severity_key(r: Any) -> tuple:
    counts = r.counts() or {}
    return (-r.code if r.code in (2, 3) else 0, -counts.get("critical", 0), -counts.get("warning", 0), r.name)


def target_lines(r: Any) -> list[str]:
    """A target in the text: its name, what it is, its counts (or its error), its top bottlenecks."""
    if not r.ok:
        return [f"- `{r.name}`: ❌ {no_dsn(r.error)}"]
    c = r.counts()
    counts = " · ".join(f"{ICON[s]} {c[s]} {s}" for s in ("critical", "warning", "info"))
    lines = [f"- `{r.name}` {r.where()}: {counts}" + (f" (exit {r.code}: {r.why})" if r.code else "")]
    top = [b for b in r.bottlenecks() if b["severity"] != "info"][:TOP]
    lines += [f"    {b['rank']}. {ICON.get(b['severity'], '')} {b['title']} ({b['kind']})" for b in top]
    if not top:
        lines.append("    nothing stands out")
    return lines


def summary_text(results: list[Any], code: int) -> str:
    """The Markdown message: one headline, then the targets worst first, cut to what a chat shows."""
    failed = sum(1 for r in results if not r.ok)
    if len(results) == 1:
        head = f"dbxray report: exit {code}"
    else:
        head = (f"dbxray fleet report: {len(results)} targets, {len(results) - failed} reported, {failed} failed; "
                f"exit {code}")
    lines = [head, ""]
    ordered = sorted(results, key=_severity_key)
    for shown, r in enumerate(ordered):
        block = target_lines(r)
        if sum(len(x) + 1 for x in lines + block) > MAX_TEXT:
            lines.append(f"… and {len(ordered) - shown} more target(s) not shown")
            break
        lines += block
    return "\n".join(lines) + "\n"


def payload(results: list[Any], code: int) -> dict[str, Any]:
    targets = []
    for r in results:
        item: dict[str, Any] = {"name": r.name, "exit_code": r.code, "status": r.status,
                                "seconds": round(r.seconds, 3)}
        if r.ok:
            item["findings"] = r.counts()
            item["incomplete"] = list(r.report.incomplete)
            item["bottlenecks"] = [{k: b[k] for k in ("rank", "kind", "severity", "title", "score")}
                                   for b in r.bottlenecks(TOP)]
        else:
            item["error"] = no_dsn(r.error)
        targets.append(item)
    return {"text": summary_text(results, code), "dbxray": {"exit_code": code, "targets": targets}}


def post_json(url: str, body: dict[str, Any], timeout: float = TIMEOUT_S, attempts: int = 2,
              pause: float = RETRY_PAUSE_S) -> str | None:
    """POST ``body``; None when the endpoint took it (2xx), else the one line saying why not."""
    from dbxray import __version__

    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    why = ""
    for attempt in range(attempts):
        if attempt:
            time.sleep(pause)
        request = urllib.request.Request(url, data=data, method="POST", headers={
            "Content-Type": "application/json", "User-Agent": f"dbxray/{__version__}"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                response.read(65536)
            return None
        except urllib.error.HTTPError as exc:
            why = f"HTTP {exc.code} {exc.reason}"
            if 400 <= exc.code < 500 and exc.code not in (408, 429):  # the request itself is refused: no retry
                break
        except (urllib.error.URLError, OSError) as exc:
            why = str(getattr(exc, "reason", None) or exc) or exc.__class__.__name__
    tries = "once" if attempts == 1 else f"{attempts} times"
    return f"webhook POST to {safe_url(url)} failed ({tries}): {' '.join(why.split())}"


def notify(url: str, results: list[Any], code: int) -> str | None:
    """Send the summary of ``results``; the one-line failure, or None."""
    return post_json(url, payload(results, code))
