"""Plan findings for ``dbxray report``: the generic plans of the statements that cost the most."""

from __future__ import annotations

import logging
from typing import Any

from dbxray.findings import Finding

log = logging.getLogger(__name__)


def statement_findings(session: Any, statements_df: Any, top_n: int = 5, config: Any = None) -> list[Finding]:
    """For the top ``top_n`` statements by total time (plan + exec), plan each one generically and
    return its plan findings with ``object.query_id`` set. Statements that cannot be planned
    (utility statements, dropped tables, truncated text) are skipped, never fatal."""
    from dbxray.engines.postgres.plans.catalog import PgCatalog
    from dbxray.engines.postgres.plans.parse import parse_pg_json
    from dbxray.engines.postgres.plans.run import pg_options
    from dbxray.errors import DbxrayError
    from dbxray.plans.report import analyse

    if statements_df is None or len(statements_df) == 0:
        return []
    from dbxray.engines.postgres.plans.generic import generic_plan

    df = statements_df.copy()
    total = df.get("total_exec_ms", 0)
    if "total_plan_ms" in df:
        total = total + df["total_plan_ms"].fillna(0)
    df = df.assign(_total_ms=total).sort_values("_total_ms", ascending=False)
    if "queryid" in df:
        df = df.drop_duplicates("queryid")
    catalog = PgCatalog(session)
    out: list[Finding] = []
    for rec in df.head(top_n).to_dict("records"):
        query = str(rec.get("query") or "")
        try:
            plan = parse_pg_json(generic_plan(session, query, options=pg_options(session, False)), query)
        except DbxrayError as exc:
            log.debug("statement %s not planned: %s", rec.get("queryid"), exc)
            continue
        except Exception as exc:  # a dropped table, a permission, a server error: skip this one
            log.debug("statement %s not planned: %s", rec.get("queryid"), exc)
            continue
        for f in analyse(plan, catalog=catalog, config=config):
            f.object["query_id"] = str(rec.get("queryid"))
            f.evidence.setdefault("calls", rec.get("calls"))
            f.evidence.setdefault("statement_total_ms", round(float(rec.get("_total_ms") or 0.0), 3))
            out.append(f)
    return out
