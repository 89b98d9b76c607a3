"""Every check on every engine, without a server: the cases in ``cases/<check_id>.yaml`` (a hit and a
near-miss at least, cut down from what the live tests collect) and the contract every finding keeps.

The live tests prove the collectors and the fixes on real servers; these prove the logic, and run
anywhere in well under a second or two."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import re
from typing import Any

import numpy as np
import pytest

from dbxray import engine
from dbxray.checks import checks_for, run_checks
from dbxray.findings import OBJECT_KEYS, SEVERITIES, jsonable
from tests.checks.loader import CASES_DIR, Case, load_cases

CASES = load_cases()
ENGINES = sorted(engine.engines())  # the engines the package ships (no test engine is registered yet)


def _run(case: Case) -> list[Any]:
    result = run_checks(case.build_snapshot(), case.build_config(), only={case.check})
    errors = [f"{r.id}: {r.detail}" for r in result.runs if r.status == "error"]
    assert not errors, errors
    assert [r.id for r in result.runs] == [case.check], f"{case.check} does not run on {case.engine}"
    return result.findings


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case(case: Case):
    found = _run(case)
    assert case.kind in ("hit", "near-miss")
    if case.kind == "near-miss":
        assert not found, [f.title for f in found]
        return
    assert case.expect, "a hit names the findings it expects"
    got = [(f.check, f.severity, f.object, f.title) for f in found]
    assert len(found) == len(case.expect), got
    for f, want in zip(found, case.expect):
        assert f.check == want.get("check", case.check), got
        assert f.severity == want["severity"], got
        assert f.object == want["object"], got
        assert want["title"] in f.title, got


def test_every_check_has_a_hit_and_a_near_miss_on_every_engine():
    have: dict[tuple[str, str], set[str]] = {}
    for case in CASES:
        have.setdefault((case.check, case.engine), set()).add(case.kind)
    missing = [f"{info.id} on {name}: {sorted({'hit', 'near-miss'} - have.get((info.id, name), set()))}"
               for name in ENGINES for info in checks_for(name)
               if not {"hit", "near-miss"} <= have.get((info.id, name), set())]
    assert not missing, f"add cases to {CASES_DIR}/<check>.yaml for: " + "; ".join(missing)


def test_no_case_for_a_check_that_does_not_exist():
    known = {(info.id, name) for name in ENGINES for info in checks_for(name)}
    stray = sorted({(c.check, c.engine) for c in CASES} - known)
    assert not stray, stray


# -- the contract every finding keeps (splinter's "every lint has the same shape") ----------------------

_JSON_LEAVES = (type(None), bool, int, float, str, dt.datetime, dt.date, dt.timedelta, decimal.Decimal, np.generic)


def _plain(value: Any, path: str = "evidence") -> None:
    """Evidence is data a JSON reader can use: no objects that would be stringified on the way out."""
    if isinstance(value, dict):
        for k, v in value.items():
            assert isinstance(k, str), f"{path}: key {k!r} is not a string"
            _plain(v, f"{path}.{k}")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _plain(v, f"{path}[{i}]")
    else:
        assert isinstance(value, _JSON_LEAVES), f"{path} is a {type(value).__name__}"


def _identifiers(f: Any) -> list[str]:
    names = [f.object.get(k) for k in ("schema", "table", "index", "sequence", "role")]
    names += list(f.object.get("columns") or [])
    return [str(n) for n in names if n]


HITS = [c for c in CASES if c.kind == "hit"]


@pytest.mark.parametrize("case", HITS, ids=lambda c: c.id)
def test_findings_keep_the_contract(case: Case):
    quote = engine.get(case.engine).quote
    for f in _run(case):
        assert f.severity in SEVERITIES
        assert set(f.object) <= set(OBJECT_KEYS)
        assert f.title.strip() and f.recommendation.strip()
        _plain(f.evidence)
        text = json.dumps(jsonable(f.to_dict()), allow_nan=False)
        assert "NaN" not in text and "Infinity" not in text
        if f.sql is None:
            continue
        assert isinstance(f.sql, str) and f.sql.strip()
        for name in _identifiers(f):
            # a name the fix SQL mentions is written the way the engine quotes it (PostgreSQL's index
            # keys arrive as SQL already: "Order ID"; so do MySQL accounts: 'app'@'%')
            written = name if name[:1] in ('"', "`", "'") else quote(name)
            bare = f.sql.replace(written, "")
            assert not re.search(rf"(?<![\w\"`]){re.escape(name)}(?![\w\"`])", bare), \
                f"{name!r} is not always written {written} in: {f.sql}"
        if case.engine == "postgres":
            assert "`" not in f.sql


def test_cases_run_fast():
    """One pass over every case stays well under the 5 s budget (the whole point of offline cases)."""
    import time

    started = time.perf_counter()
    for case in CASES:
        _run(case)
    assert time.perf_counter() - started < 5.0


def test_previous_runs_are_built_as_the_history_store_hands_them():
    """``previous:`` cases see what ``report --history`` checks: the interval since the previous run (statement
    counters as deltas, ``meta.interval``), that run as ``snap.previous`` and the one before it as its own."""
    from tests.checks.loader import _previous_run

    (case,) = [c for c in CASES if c.id == "regression:postgres-hit-1"]
    snap = case.build_snapshot()
    prev = snap.previous
    assert prev is not None and prev.previous is not None
    assert prev.previous.collected_at < prev.collected_at < snap.collected_at
    assert snap.meta["interval"]["from"] == prev.collected_at.isoformat() and "reset" not in snap.meta["interval"]
    assert snap["statements"]["calls"].tolist() == [60] and prev["statements"]["calls"].tolist() == [120]
    assert (prev.engine, prev.database, prev.host) == (snap.engine, snap.database, snap.host)
    with pytest.raises(ValueError, match="collected_at"):
        _previous_run("postgres", {}, {"frames": {}})
    with pytest.raises(ValueError, match="unknown keys"):
        _previous_run("postgres", {}, {"snapshot": {"collected_at": "2026-01-01"}, "frame": {}})
