"""Reports and results built by hand, for the outputs that only read them (Prometheus, webhook, table)."""

from __future__ import annotations

import datetime as dt

from dbxray.diagnose.model import Bottleneck, Diagnosis, Fix
from dbxray.findings import Finding
from dbxray.fleet.result import TargetResult
from dbxray.report.build import Report

T0 = dt.datetime(2025, 3, 1, 2, 0, tzinfo=dt.UTC)


def make_report(database: str = "shop", host: str = "db1", incomplete: tuple[str, ...] = ()) -> Report:
    """Two missing indexes (warning), a sequence near its end (critical), a table without a primary key
    (warning), a weak_auth line (info); two bottlenecks, the outage risk first."""
    findings = [
        Finding("missing_index", "warning", "orders.customer_id", object={"schema": "public", "table": "orders",
                                                                           "columns": ["customer_id"]}),
        Finding("missing_index", "warning", "orders.created_at", object={"schema": "public", "table": "orders",
                                                                          "columns": ["created_at"]}),
        Finding("sequence_exhaustion", "critical", "orders_id_seq at 96 %",
                object={"schema": "public", "sequence": "orders_id_seq"}),
        Finding("missing_primary_key", "warning", "audit has no primary key",
                object={"schema": "public", "table": "audit"}),
        Finding("weak_auth", "info", "trust on loopback", object={"setting": "pg_hba.conf"}),
    ]
    report = Report("report", {"engine": "postgres", "flavor": "postgres", "server_version": "15.4",
                               "database": database, "host": host}, T0,
                    collection={"duration_ms": 1200.0, "live_analysis": {"plans_ms": 300.0}, "diagnosis_ms": 5.0},
                    incomplete=list(incomplete))
    report.add(findings)
    ids = {f.check: f.id for f in report.findings}
    report.diagnosis = Diagnosis("Sequence first.", [
        Bottleneck("outage_risk", "Sequence public.orders_id_seq is 96 % used", {"sequence": "orders_id_seq"},
                   "the key runs out", "inserts fail in ~9 days", [ids["sequence_exhaustion"]],
                   Fix("ALTER SEQUENCE …", "room for years", "none"), "proven", "critical", 1200.0, True, 1),
        Bottleneck("statement", "62 % of statement time: SELECT … FROM orders WHERE customer_id = $1",
                   {"table": "orders"}, "no index on customer_id", "62 % of statement time",
                   [ids["missing_index"]], Fix("CREATE INDEX …", "cost 9000 → 12", "a short lock"),
                   "proven", "warning", 62.0, False, 2),
    ])
    return report


def make_result(name: str = "eu-prod", code: int = 0, error: str = "", **report_kw) -> TargetResult:
    report = None if error else make_report(**report_kw)
    return TargetResult(name, report, code, error=error, seconds=1.5,
                        finished_at=T0 + dt.timedelta(minutes=2))
