"""MySQL / MariaDB live analysis: the rule check's index advice, re-read with the session open.

MySQL has no hypothetical indexes: the ``missing_index`` rule findings are replaced by the same
advice carrying the EXPLAIN of the statement as it runs today (the full scan) in evidence.
"""

from __future__ import annotations

import time
from typing import Any

from dbxray.engine import LiveResult
from dbxray.findings import Finding, index_key


def live_analysis(session: Any, snap: Any, findings: list[Finding], config: Any) -> LiveResult:
    result = LiveResult()
    rule = [f for f in findings if f.check == "missing_index"]
    if not rule or not config.report_option("index_advice", True):
        return result
    t0 = time.monotonic()
    try:
        from dbxray.checks import known_options, load_all
        from dbxray.engines.mysql.advisor.explain import advise_mysql

        info = load_all()[("missing_index", "mysql")]
        thresholds = config.thresholds("missing_index", info.thresholds, known=known_options("missing_index"))
        advised = {index_key(f): f for f in advise_mysql(session, snap, thresholds=thresholds)}
    except Exception as exc:
        result.errors.append({"check": "missing_index", "detail": f"{exc.__class__.__name__}: {exc}"})
        return result
    rule_keys = {index_key(r) for r in rule}
    result.superseded = [f for f in rule if index_key(f) in advised]
    for key, f in advised.items():
        if key in rule_keys:
            f.evidence.setdefault("analysis", "index advisor")
            result.findings.append(f)
    result.timings["index_advice_ms"] = round((time.monotonic() - t0) * 1000, 1)
    return result
