"""The diagnosis at scale: time and memory of turning findings into ranked bottlenecks.

Two inputs:

* ``--report FILE``: a real ``dbxray report --format json`` (e.g. of ``bench_postgres.py``'s
  10,000-table catalog): its findings and statements are rebuilt and diagnosed again, and the
  report's own ``collection.diagnosis_ms`` is printed beside;
* synthetic (default): the shape of a very large catalog's report, worse than any real one seen:
  5,000 statements, one slow statement per 10 with a missing index, 30,000 unused or duplicate
  indexes, 10,000 tables with dead rows, 2,000 sequences, a lock pile-up and settings.

    python bench/bench_diagnosis.py                 # synthetic, median of 5
    python bench/bench_diagnosis.py --report r.json

Prints the median wall time and the peak memory the diagnosis allocates (tracemalloc), as JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import tracemalloc
from pathlib import Path

from dbxray.diagnose import diagnose
from dbxray.findings import Finding, assign_ids, sort_findings


def synthetic(n_statements: int = 5000, n_indexes: int = 30000, n_tables: int = 10000) -> tuple[list, list]:
    stmts, findings = [], []
    total = sum(1000.0 / (i + 1) for i in range(n_statements))
    for i in range(n_statements):
        ms = 1000.0 / (i + 1)
        stmts.append({"queryid": str(i), "query": f"SELECT * FROM t{i % n_tables} WHERE c = $1", "calls": 100 + i,
                      "total_ms": ms, "share_pct": 100 * ms / total, "mean_ms": ms / (100 + i)})
        if i % 10 == 0:
            findings.append(Finding("slow_query", "warning", f"slow {i}", {"query_id": str(i)},
                                    {"calls": 100 + i, "total_ms": ms, "share_pct": 100 * ms / total}, "read it"))
            findings.append(Finding("missing_index", "warning", f"index t{i}", {
                "schema": "public", "table": f"t{i % n_tables}", "columns": ["c"], "query_id": str(i)},
                {"proven": True, "query_ids": [str(i)], "cost_before": [1000.0], "cost_after": [5.0],
                 "cost_cut_pct": 99.5, "table_rows": 100000}, "create it",
                f"CREATE INDEX CONCURRENTLY ON public.t{i % n_tables} (c);"))
    for i in range(n_indexes):
        check = "unused_index" if i % 3 else "duplicate_index"
        findings.append(Finding(check, "info", f"{check} {i}", {"schema": "public", "table": f"t{i % n_tables}",
                                                               "index": f"ix_{i}"}, {"idx_scan": 0}, "drop it",
                                f"DROP INDEX CONCURRENTLY public.ix_{i};"))
    for i in range(n_tables):
        if i % 5 == 0:
            findings.append(Finding("vacuum_overdue", "warning", f"dead t{i}", {"schema": "public", "table": f"t{i}"},
                                    {"n_dead_tup": 50000, "dead_pct": 40.0, "autovacuum_enabled": True}, "vacuum",
                                    f"VACUUM public.t{i};"))
    for i in range(2000):
        findings.append(Finding("sequence_exhaustion", "info" if i % 100 else "warning", f"seq {i}",
                                {"schema": "public", "sequence": f"s{i}"}, {"used_pct": 50.0 + i % 45,
                                                                            "values_left": 10 ** 6}, "bigint"))
    findings.append(Finding("lock_contention", "critical", "pid 42 blocks 3", {"pid": 42, "role": "app"},
                            {"blocked": [{"pid": p, "waiting_s": 30.0} for p in (43, 44, 45)],
                             "longest_wait_s": 30.0, "blocker_state": "idle in transaction"},
                            "end it", "SELECT pg_terminate_backend(42);"))
    return stmts, findings


def from_report(path: Path) -> tuple[list, list, float | None]:
    data = json.loads(path.read_text())
    findings = [Finding.from_dict({**f, "id": ""}) for f in data["findings"]]
    stmts = [{"queryid": s["query_id"], **s} for s in data["summary"].get("statements") or []]
    return stmts, findings, data.get("collection", {}).get("diagnosis_ms")


def measure(stmts: list, findings: list, runs: int) -> dict:
    findings = sort_findings(findings)
    assign_ids(findings)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = diagnose(findings, stmts)
        times.append((time.perf_counter() - t0) * 1000)
    tracemalloc.start()
    diagnose(findings, stmts)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"findings": len(findings), "statements": len(stmts), "bottlenecks": len(result.bottlenecks),
            "median_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1),
            "peak_alloc_mb": round(peak / 1048576, 2), "rank_1": result.bottlenecks[0].title
            if result.bottlenecks else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--report", type=Path, help="a dbxray report (JSON) to diagnose again")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if args.report:
        stmts, findings, reported = from_report(args.report)
        out = measure(stmts, findings, args.runs)
        out["report_diagnosis_ms"] = reported
    else:
        out = measure(*synthetic(), args.runs)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
