"""A headless Chromium driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``).

No websockets, no Playwright: Chromium reads protocol commands from fd 3 and writes replies and
events to fd 4, each JSON message ended by a NUL byte. ``load(path)`` opens a local file and
returns what a person would care about: uncaught exceptions, console errors, log errors (CSP
violations, failed loads), every network request the page made, and a full-page screenshot.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-default-browser-check", "--disable-extensions", "--disable-dev-shm-usage", "--hide-scrollbars",
    "--mute-audio", "--remote-debugging-pipe",
    # nothing resolves: a request that slipped through fails instead of reaching out (it is still seen)
    "--host-resolver-rules=MAP * ~NOTFOUND",
)


def _high(fd: int) -> int:
    """The same pipe end on a descriptor number of 100 or more."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD, 100)
    os.close(fd)
    return moved


def available() -> bool:
    return os.access(CHROMIUM, os.X_OK)


@dataclass
class PageRun:
    """What happened while a page loaded."""

    url: str
    exceptions: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    log_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    screenshot: bytes = b""
    pdf: bytes = b""

    @property
    def errors(self) -> list[str]:
        return [*self.exceptions, *self.console_errors, *self.log_errors]

    @property
    def foreign_requests(self) -> list[str]:
        """Requests for anything but the page itself and inline data."""
        return [u for u in self.requests if u != self.url and not u.startswith("data:")]


class Chromium:
    """One browser process; use as a context manager."""

    def __init__(self, timeout: float = 60.0) -> None:
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="dbxray-chromium-")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        to_child_r, from_child_w = _high(to_child_r), _high(from_child_w)  # clear of 3 and 4
        # Chromium insists on fds 3 and 4: a shell moves the pipe ends there, then becomes Chromium
        command = (f'exec "$0" "$@" 3<&{to_child_r} 4>&{from_child_w} '
                   f'{to_child_r}<&- {from_child_w}>&-')
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close())
        self.proc = subprocess.Popen(
            ["bash", "-c", command, CHROMIUM, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            pass_fds=(to_child_r, from_child_w), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=self.stderr)
        os.close(to_child_r)
        os.close(from_child_w)
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict[str, Any]] = []

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        try:
            if self.proc.poll() is None:
                try:
                    self.send("Browser.close", timeout=10)
                except Exception:
                    pass
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout=10)
        finally:
            for fd in (self._to_child, self._from_child):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self.stderr.close()
            shutil.rmtree(self.profile, ignore_errors=True)

    # -- the protocol -------------------------------------------------------------------------------

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no message from Chromium in time")
            ready, _, _ = select.select([self._from_child], [], [], min(left, 1.0))
            if ready:
                chunk = os.read(self._from_child, 1 << 20)
                if not chunk:
                    self.stderr.seek(0)
                    said = self.stderr.read().decode(errors="replace")[-2000:]
                    raise RuntimeError(f"Chromium closed the pipe: {said}")
                self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None,
             timeout: float | None = None) -> dict[str, Any]:
        """Send one command and wait for its reply; events that arrive meanwhile are kept."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self._events.append(reply)

    def wait_for(self, method: str, session: str, timeout: float | None = None) -> dict[str, Any]:
        deadline = time.monotonic() + (timeout or self.timeout)
        seen = 0
        while True:
            for event in self._events[seen:]:
                if event.get("method") == method and event.get("sessionId") == session:
                    return event
            seen = len(self._events)
            self._events.append(self._read_message(deadline))

    def drain(self, seconds: float) -> None:
        """Collect events for a little while (late console messages, timers)."""
        deadline = time.monotonic() + seconds
        try:
            while True:
                self._events.append(self._read_message(deadline))
        except TimeoutError:
            pass

    # -- a page -------------------------------------------------------------------------------------

    def _evaluate(self, session: str, expressions: dict[str, str] | None, into: dict[str, Any]) -> None:
        for name, expression in (expressions or {}).items():
            result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                    "awaitPromise": True}, session=session)
            if "exceptionDetails" in result:
                raise RuntimeError(f"evaluating {name}: {result['exceptionDetails']}")
            into[name] = result["result"].get("value")

    def _click(self, session: str, selector: str) -> None:
        """A real mouse click (a user gesture, unlike element.click()) in the middle of ``selector``."""
        where = self.send("Runtime.evaluate", {"expression": f"""(() => {{
            const el = document.querySelector({json.dumps(selector)});
            el.scrollIntoView({{block: "center"}});
            const r = el.getBoundingClientRect();
            return [r.x + r.width / 2, r.y + r.height / 2];
        }})()""", "returnByValue": True}, session=session)
        x, y = where["result"]["value"]
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1},
                      session=session)
        self.drain(0.3)

    def load(self, path: Path, evaluate: dict[str, str] | None = None, width: int = 1280, dark: bool = False,
             screenshot: bool = True, pdf: bool = False, prepare: dict[str, str] | None = None,
             clicks: tuple[str, ...] = (), clipboard: bool = False) -> PageRun:
        """Open ``path``; once loaded run ``prepare``, print to PDF (``pdf``), click ``clicks`` (CSS
        selectors), run ``evaluate`` (name -> JS expression, promises awaited), and take a full-page
        screenshot. ``clipboard`` grants the page clipboard access, as a person's click would."""
        url = path.resolve().as_uri()
        self._events = []
        if clipboard:
            self.send("Browser.grantPermissions", {"permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
        else:
            self.send("Browser.resetPermissions")
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Network", "Page"):
            self.send(f"{domain}.enable", session=session)
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session=session)
        self.send("Emulation.setEmulatedMedia",
                  {"features": [{"name": "prefers-color-scheme", "value": "dark" if dark else "light"}]},
                  session=session)
        self.send("Page.navigate", {"url": url}, session=session)
        self.wait_for("Page.loadEventFired", session)
        self.drain(0.5)
        run = PageRun(url=url)
        self._evaluate(session, prepare, run.values)
        if pdf:
            printed = self.send("Page.printToPDF", {"printBackground": True}, session=session)
            run.pdf = base64.b64decode(printed["data"])
        for selector in clicks:
            self._click(session, selector)
        self._evaluate(session, evaluate, run.values)
        if screenshot:
            size = self.send("Page.getLayoutMetrics", session=session)["cssContentSize"]
            shot = self.send("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": width, "height": min(size["height"], 16000), "scale": 1},
            }, session=session)
            run.screenshot = base64.b64decode(shot["data"])
        self.drain(0.2)
        for event in self._events:
            if event.get("sessionId") != session:
                continue
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                run.exceptions.append(details.get("exception", {}).get("description") or details.get("text", ""))
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                run.console_errors.append(" ".join(str(a.get("value", a.get("description", "")))
                                                   for a in params.get("args", [])))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                run.log_errors.append(params["entry"].get("text", ""))
            elif method == "Network.requestWillBeSent":
                run.requests.append(params.get("request", {}).get("url", ""))
        self.send("Target.closeTarget", {"targetId": target})
        return run
