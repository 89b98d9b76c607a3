"""Snapshots and store URLs for the store tests, importable by worker processes too."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from dbxray.findings import Finding
from dbxray.snapshot import Snapshot

T0 = dt.datetime(2025, 3, 1, 2, 0, tzinfo=dt.UTC)
NOBODY = 65534


def make_snapshot(when: dt.datetime, host: str = "db1", database: str = "shop", severities: tuple = ("warning",),
                  tag: str = "") -> Snapshot:
    """A small but real snapshot: a statements frame, and the findings ``--history`` keeps in meta."""
    frames = {"statements": pd.DataFrame({"queryid": [11, 12], "query": ["SELECT 1", f"SELECT '{tag}'"],
                                          "calls": [10, 20], "total_ms": [1.5, 2.5]})}
    findings = [Finding("missing_fk_index" if s != "critical" else "xid_wraparound", s, f"problem {i}",
                        object={"table": f"t{i}"}).to_dict() for i, s in enumerate(severities)]
    return Snapshot("postgres", "15.4", 150004, database, host, when, frames, [],
                    {"flavor": "postgres", "tag": tag, "report_findings": findings}, 12.0)


def counts(*severities: str) -> dict:
    return {"findings": {s: severities.count(s) for s in ("critical", "warning", "info")}}


def run_elsewhere(code: str, cwd: str) -> dict:
    """Run ``code`` in a fresh interpreter, as ``nobody`` when we are root (root ignores file
    permissions); it must print one JSON line, which is returned."""
    command = [sys.executable, "-c", code]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if not setpriv:
            pytest.skip("running as root without setpriv: cannot test a store root may not write")
        command = [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *command]
    env = {**os.environ, "HOME": cwd}
    result = subprocess.run(command, capture_output=True, text=True, cwd=cwd, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


PROBE = """
import json, datetime as dt
from dbxray.errors import DbxrayError
from dbxray.store import open_store
out = {}
try:
    with open_store(URL) as store:
        store.save_run("postgres://db1:5432/shop", "db1", dt.datetime.now(dt.UTC), b"x", {})
    out["write"] = "ok"
except DbxrayError as exc:
    out["write"] = [type(exc).__name__, str(exc)]
try:
    with open_store(URL, readonly=True) as store:
        out["listed"] = [r.id for r in store.runs()]
        out["loaded"] = store.load_snapshot(out["listed"][-1]).meta.get("tag")
except DbxrayError as exc:
    out["listed"] = [type(exc).__name__, str(exc)]
print(json.dumps(out))
"""


def probe_store(url: str, cwd: str) -> dict:
    """Try to write to, then list and load from, the store at ``url`` as an unprivileged user."""
    return run_elsewhere(f"URL = {url!r}\n{PROBE}", cwd)
