"""Live analysis that needs the session after collection: plans of the top statements and proven
index advice, attached to the report's findings.

These steps run statements (EXPLAIN, HypoPG calls) rather than read catalogs, so each is
optional (``[report] plan_top_statements = 0``, ``index_advice = false``), isolated (a failure is
recorded in ``collection.check_errors``, never fatal) and PostgreSQL-only for now (MySQL's index
advice is a rule check over the digests).
"""

from __future__ import annotations

import time
from typing import Any

from dbxray.findings import Finding


def enrich(report: Any, session: Any, snap: Any, config: Any) -> None:
    """Add plan findings and index advice to ``report`` (in place)."""
    if session.engine == "mysql":
        _explain_mysql_advice(report, session, snap, config)
        return
    if not snap.has("statements"):
        return
    added: list[Finding] = []
    errors: list[dict[str, str]] = []
    timings: dict[str, float] = {}
    top = int(config.report_option("plan_top_statements", 5))
    if top > 0:
        t0 = time.monotonic()
        try:
            from dbxray.plans import statement_findings

            for f in statement_findings(session, snap["statements"], top_n=top):
                f.evidence.setdefault("analysis", "generic plan")
                added.append(f)
        except Exception as exc:
            errors.append({"check": "plans", "detail": f"{exc.__class__.__name__}: {exc}"})
        timings["plans_ms"] = round((time.monotonic() - t0) * 1000, 1)
    if config.report_option("index_advice", True) and config.enabled("missing_index"):
        t0 = time.monotonic()
        try:
            from dbxray.indexes import advise_postgres

            for f in advise_postgres(session, snap, config=config):
                f.evidence.setdefault("analysis", "index advisor")
                added.append(f)
        except Exception as exc:
            errors.append({"check": "missing_index", "detail": f"{exc.__class__.__name__}: {exc}"})
        timings["index_advice_ms"] = round((time.monotonic() - t0) * 1000, 1)
    added = [f for f in added if config.enabled(f.check)]
    report.add(dedupe_missing_indexes(report.findings, added))
    report.collection.setdefault("live_analysis", {}).update(timings)
    if errors:
        report.collection.setdefault("check_errors", []).extend(errors)


def _index_key(f: Finding) -> tuple:
    return (f.object.get("schema"), f.object.get("table"), tuple(f.object.get("columns") or ()))


def dedupe_missing_indexes(existing: list[Finding], added: list[Finding]) -> list[Finding]:
    """One finding per suggested index: a proven advisor finding beats a plan heuristic for the same
    columns, and a plan suggestion for a foreign key already reported by missing_fk_index is dropped."""
    fk_keys = {_index_key(f) for f in existing if f.check == "missing_fk_index"}
    best: dict[tuple, Finding] = {}
    others: list[Finding] = []
    for f in added:
        if f.check != "missing_index":
            others.append(f)
            continue
        key = _index_key(f)
        if key in fk_keys and not f.evidence.get("proven"):
            continue
        current = best.get(key)
        if current is None or (f.evidence.get("proven") and not current.evidence.get("proven")):
            best[key] = f
    return others + list(best.values())


def _explain_mysql_advice(report: Any, session: Any, snap: Any, config: Any) -> None:
    """MySQL has no hypothetical indexes: the rule check's missing_index findings are replaced by the
    same advice with the EXPLAIN of the statement as it runs today (the full scan) in evidence."""
    rule = [f for f in report.findings if f.check == "missing_index"]
    if not rule or not config.report_option("index_advice", True):
        return
    t0 = time.monotonic()
    try:
        from dbxray.checks import known_options, load_all
        from dbxray.indexes.mysql_advisor import advise_mysql

        info = load_all()[("missing_index", "mysql")]
        thresholds = config.thresholds("missing_index", info.thresholds, known=known_options("missing_index"))
        advised = {_index_key(f): f for f in advise_mysql(session, snap, thresholds=thresholds)}
    except Exception as exc:
        report.collection.setdefault("check_errors", []).append(
            {"check": "missing_index", "detail": f"{exc.__class__.__name__}: {exc}"})
        return
    keep = [f for f in report.findings if not (f.check == "missing_index" and _index_key(f) in advised)]
    for f in advised.values():
        f.evidence.setdefault("analysis", "index advisor")
    report.findings = []
    report.add(keep + [f for k, f in advised.items() if k in {_index_key(r) for r in rule}])
    report.collection.setdefault("live_analysis", {})["index_advice_ms"] = round((time.monotonic() - t0) * 1000, 1)
