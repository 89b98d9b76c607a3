"""PostgreSQL live analysis, while the report's session is still open: the generic plans of the top
statements and HypoPG-proven index advice.

These steps run statements (EXPLAIN, HypoPG calls) rather than read catalogs, so each is
optional (``[report] plan_top_statements = 0``, ``index_advice = false``) and isolated (a failure
is recorded in ``collection.check_errors``, never fatal).
"""

from __future__ import annotations

import time
from typing import Any

from dbxray.engine import LiveResult
from dbxray.findings import Finding, dedupe_missing_indexes


def live_analysis(session: Any, snap: Any, findings: list[Finding], config: Any) -> LiveResult:
    """Plan findings of the top statements and proven index advice, de-duplicated against ``findings``."""
    result = LiveResult()
    if not snap.has("statements"):
        return result
    added: list[Finding] = []
    top = int(config.report_option("plan_top_statements", 5))
    if top > 0:
        t0 = time.monotonic()
        try:
            from dbxray.engines.postgres.plans.statements import statement_findings

            for f in statement_findings(session, snap["statements"], top_n=top, config=config):
                f.evidence.setdefault("analysis", "generic plan")
                added.append(f)
        except Exception as exc:
            result.errors.append({"check": "plans", "detail": f"{exc.__class__.__name__}: {exc}"})
        result.timings["plans_ms"] = round((time.monotonic() - t0) * 1000, 1)
    if config.report_option("index_advice", True) and config.enabled("missing_index"):
        t0 = time.monotonic()
        try:
            from dbxray.engines.postgres.advisor import advise_postgres

            for f in advise_postgres(session, snap, config=config):
                f.evidence.setdefault("analysis", "index advisor")
                added.append(f)
        except Exception as exc:
            result.errors.append({"check": "missing_index", "detail": f"{exc.__class__.__name__}: {exc}"})
        result.timings["index_advice_ms"] = round((time.monotonic() - t0) * 1000, 1)
    if config.report_option("index_advice", True) and config.enabled("json_unindexed_filter"):
        t0 = time.monotonic()
        try:  # HypoPG proof of the expression indexes the JSON-filter check advises
            from dbxray.engines.postgres.design.live import prove_json_filters

            proven, replaced = prove_json_filters(session, snap, findings)
            added.extend(proven)
            result.superseded.extend(replaced)
        except Exception as exc:
            result.errors.append({"check": "json_unindexed_filter", "detail": f"{exc.__class__.__name__}: {exc}"})
        result.timings["json_index_proof_ms"] = round((time.monotonic() - t0) * 1000, 1)
    added = [f for f in added if config.enabled(f.check)]
    result.findings = dedupe_missing_indexes(findings, added)
    return result
