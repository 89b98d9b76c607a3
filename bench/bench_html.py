"""Benchmark: the HTML report of a 10,000-table estate (targets: render < 2 s, page < 5 MB).

Builds a synthetic report dict shaped exactly like ``dbxray report --format json`` (findings copied
from the shapes the checks emit: unused, duplicate and missing foreign-key indexes, bloat, vacuum,
sequences, slow statements with 500-character queries and index-advisor evidence lists), plus a
ranked diagnosis over them and 90 days of history, then times ``render_html`` in this process: the
first call (imports and template compilation included, as the CLI pays it) and the median of the
next ones. ``--json FILE`` renders a real report instead (e.g. one saved from bench_postgres.py's
catalog); ``--out FILE`` keeps the page to look at.

    .venv/bin/python bench/bench_html.py [--tables 10000] [--repeat 5] [--out /tmp/bench.html]
    .venv/bin/python bench/bench_html.py --json report.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import time
from pathlib import Path

TARGET_S = 2.0
TARGET_MB = 5.0

VERBS = ["SELECT o.id, o.status, o.created_at, o.total, c.email, c.name FROM",
         "UPDATE", "SELECT count(*) FROM", "DELETE FROM", "INSERT INTO"]


def _query(rng: random.Random, table: str) -> str:
    """A normalized statement of realistic length (pg_stat_statements text, cut at 500 characters)."""
    cols = ", ".join(f"c{rng.randint(1, 40)}" for _ in range(rng.randint(3, 12)))
    where = " AND ".join(f"{table}.c{rng.randint(1, 40)} = ${i}" for i in range(1, rng.randint(2, 8)))
    text = (f"{rng.choice(VERBS)} {table} JOIN customers c ON c.id = {table}.customer_id "
            f"LEFT JOIN order_items oi ON oi.order_id = {table}.id WHERE {where} "
            f"GROUP BY {cols} ORDER BY {cols} DESC LIMIT ${rng.randint(8, 12)} OFFSET ${rng.randint(13, 14)}")
    return text[:500]


def build(tables: int, seed: int = 7) -> dict:
    """A report of ``tables`` tables: ~1 finding per 9 tables, 50 statements, diagnosis and history."""
    rng = random.Random(seed)
    names = [f"t_{i:05d}" for i in range(1, tables + 1)]
    now = dt.datetime(2026, 11, 30, 6, 0, tzinfo=dt.UTC)
    statements = []
    total = 0.0
    for _ in range(50):
        t = rng.choice(names)
        calls = rng.randint(100, 2_000_000)
        mean = rng.lognormvariate(0, 2)
        statements.append({"query": _query(rng, t), "calls": calls, "total_ms": calls * mean, "mean_ms": mean,
                           "max_ms": mean * rng.uniform(2, 40), "rows_per_call": rng.uniform(0, 500),
                           "hit_ratio": rng.uniform(0.8, 1), "temp_blks": rng.choice([0, 0, 0, rng.randint(1, 9000)]),
                           "query_id": str(rng.getrandbits(63))})
        total += calls * mean
    statements.sort(key=lambda s: -s["total_ms"])
    for s in statements:
        s["share_pct"] = 100 * s["total_ms"] / (total * 1.25)

    findings = []

    def add(check, severity, title, obj, evidence, recommendation, sql):
        findings.append({"check": check, "severity": severity, "title": title, "object": obj,
                         "evidence": evidence, "recommendation": recommendation, "sql": sql, "source": "rules"})

    for t in rng.sample(names, tables // 30):  # unused indexes
        idx = f"{t}_c{rng.randint(1, 40)}_idx"
        size = rng.randint(1, 4000) * 1024 * 1024
        add("unused_index", "warning" if size > 100 << 20 else "info",
            f"Index {idx} on {t} has never been used ({size / 1048576:.1f} MB)",
            {"schema": "public", "table": t, "index": idx, "columns": [f"c{rng.randint(1, 40)}"]},
            {"idx_scan": 0, "size_bytes": size, "stats_age_days": 41.2, "writes": rng.randint(0, 10**7),
             "unique": False, "constraint": None, "replicas_checked": False},
            f"Drop it if no replica or rare job uses it: every write to {t} maintains it.",
            f"DROP INDEX CONCURRENTLY public.{idx};\n-- undo: CREATE INDEX CONCURRENTLY {idx} ON public.{t} "
            f"USING btree (c1);")
    for t in rng.sample(names, tables // 40):  # missing foreign-key indexes
        add("missing_fk_index", "warning", f"Foreign key {t}_parent_fkey on {t}(parent_id) has no index",
            {"schema": "public", "table": t, "columns": ["parent_id"]},
            {"foreign_key": f"{t}_parent_fkey", "references": "public.parents", "rows": rng.randint(10**4, 10**8),
             "on_delete": "CASCADE", "parent_deletes": rng.randint(0, 10**5), "child_seq_scans": rng.randint(0, 10**4)},
            f"Each delete or key update on parents looks up {t}(parent_id) without an index.",
            f"CREATE INDEX CONCURRENTLY ON public.{t} (parent_id);")
    for t in rng.sample(names, tables // 100):
        add("duplicate_index", "warning", f"Index {t}_a_idx duplicates {t}_a_idx1 on {t}",
            {"schema": "public", "table": t, "index": f"{t}_a_idx", "columns": ["a", "b"]},
            {"duplicate_of": f"{t}_a_idx1", "size_bytes": rng.randint(1, 500) << 20, "idx_scan": 0},
            "Drop one of the two: they are identical.",
            f"DROP INDEX CONCURRENTLY public.{t}_a_idx;\n-- undo: CREATE INDEX CONCURRENTLY {t}_a_idx ON public.{t} "
            "USING btree (a, b);")
    for t in rng.sample(names, tables // 80):
        dead = rng.randint(10**5, 10**8)
        add("vacuum_overdue", rng.choice(["warning", "critical"]), f"{t}: {dead:,} dead rows waiting for vacuum",
            {"schema": "public", "table": t},
            {"n_dead_tup": dead, "n_live_tup": dead * 2, "dead_pct": 33.3, "last_vacuum": None,
             "last_autovacuum": "2026-10-02T03:11:09Z", "autovacuum_enabled": True, "size": "12.4 GB"},
            f"Vacuum {t} now, and make autovacuum visit it more often.",
            f"VACUUM (ANALYZE, VERBOSE) public.{t};\n"
            f"ALTER TABLE public.{t} SET (autovacuum_vacuum_scale_factor = 0.02);")
        add("table_bloat", "warning", f"{t} is about 41% bloat", {"schema": "public", "table": t},
            {"bloat_bytes": rng.randint(1, 50) << 30, "bloat_pct": 41.0, "table_bytes": 90 << 30, "method": "estimate"},
            "Reclaim it with pg_repack (online) or VACUUM FULL in a maintenance window.",
            f"VACUUM FULL public.{t};  -- rewrites the table under an ACCESS EXCLUSIVE lock")
    for t in rng.sample(names, tables // 250):
        add("missing_primary_key", "warning", f"Table {t} has no primary key", {"schema": "public", "table": t},
            {"rows": rng.randint(10, 10**7), "unique_indexes": 0},
            "Add a primary key: a natural key if one exists, otherwise a bigint identity column.",
            f"ALTER TABLE public.{t} ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;  "
            "-- rewrites the table under an ACCESS EXCLUSIVE lock")
    for s in statements[:20]:
        add("slow_query", "critical" if s["share_pct"] > 10 else "warning",
            f"Slow statement: {s['share_pct']:.0f}% of all statement time over {s['calls']:,} calls",
            {"query_id": s["query_id"]},
            {"calls": s["calls"], "mean_ms": s["mean_ms"], "max_ms": s["max_ms"], "total_ms": s["total_ms"],
             "share_pct": s["share_pct"], "rows_per_call": s["rows_per_call"], "hit_ratio": s["hit_ratio"],
             "role": "app", "query": s["query"]},
            f"Run `dbxray explain --query-id {s['query_id']}` to see where the time goes.", None)
    for s in statements[:25]:
        t = rng.choice(names)
        ids = [x["query_id"] for x in rng.sample(statements, 20)]
        add("missing_index", "warning", f"Missing index on public.{t} (c3, c7): 20 statement(s) 97.4% cheaper",
            {"schema": "public", "table": t, "columns": ["c3", "c7"], "query_id": s["query_id"]},
            {"proven": True, "method": "hypopg", "query_ids": ids, "calls": [rng.randint(1, 10**6) for _ in ids],
             "statement_total_ms": [round(rng.uniform(1, 10**6), 2) for _ in ids],
             "cost_before": [round(rng.uniform(10**3, 10**6), 2) for _ in ids],
             "cost_after": [round(rng.uniform(1, 100), 2) for _ in ids], "cost_cut_pct": 97.4,
             "table_rows": rng.randint(10**5, 10**9), "write_heavy": False, "analysis": "index advisor"},
            "Create this index: with it the planner's estimated cost of 20 statements drops by 97.4%. "
            "Proven with HypoPG hypothetical indexes. CONCURRENTLY builds it without blocking writes.",
            f"CREATE INDEX CONCURRENTLY ON public.{t} (c3, c7);")
    for setting, value in (("work_mem", "4MB"), ("shared_buffers", "128MB"), ("random_page_cost", "4"),
                           ("track_io_timing", "off"), ("max_wal_size", "1GB")):
        add("setting", "warning", f"{setting} is {value}", {"setting": setting},
            {"value": value, "source": "default", "suggested": "see recommendation"},
            f"Raise {setting} (see the evidence).", f"ALTER SYSTEM SET {setting} = '…';\nSELECT pg_reload_conf();")
    for i in range(5):
        t = rng.choice(names)
        add("sequence_exhaustion", "critical", f"Sequence {t}_id_seq has used 9{i}% of its range",
            {"schema": "public", "sequence": f"{t}_id_seq", "table": t, "columns": ["id"]},
            {"last_value": 2_000_000_000 + i, "limit": 2147483647, "used_pct": 90 + i, "column_type": "integer"},
            "Widen the column before it runs out: every INSERT fails once it does.",
            f"ALTER TABLE public.{t} ALTER COLUMN id TYPE bigint;  "
            "-- rewrites the table under an ACCESS EXCLUSIVE lock")
    rank = {"critical": 0, "warning": 1, "info": 2}
    findings.sort(key=lambda f: (rank[f["severity"]], f["check"], json.dumps(f["object"], sort_keys=True)))
    for n, f in enumerate(findings):
        o = f["object"]
        f["id"] = f"{f['check']}:{o.get('schema', '')}.{o.get('table', o.get('setting', o.get('query_id')))}:{n}"
    by_check: dict[str, list[str]] = {}
    for f in findings:
        by_check.setdefault(f["check"], []).append(f["id"])
    kinds = [("statement", "slow_query", "missing_index"), ("maintenance", "vacuum_overdue", "table_bloat"),
             ("capacity", "unused_index", "duplicate_index"), ("outage_risk", "sequence_exhaustion", None),
             ("configuration", "setting", None), ("locking", "missing_fk_index", None),
             ("maintenance", "missing_primary_key", None)]
    bottlenecks = []
    for r, (kind, a, b) in enumerate(kinds, 1):
        ids = by_check.get(a, [])[:40] + (by_check.get(b, [])[:20] if b else [])
        bottlenecks.append({
            "rank": r, "kind": kind, "title": f"{a.replace('_', ' ').capitalize()} across {len(ids)} objects",
            "object": {"schema": "public"}, "cause": "Measured over the statistics window; see the findings.",
            "impact": f"{rng.uniform(5, 60):.0f}% of statement time or storage.", "finding_ids": ids,
            "fix": {"sql": next((f["sql"] for f in findings if f["id"] == (ids[0] if ids else None)), None),
                    "expected": "Most of the time of these statements goes away.", "risk": "Online; see each fix."},
            "confidence": ["proven", "likely", "possible"][r % 3], "severity": "critical" if r < 4 else "warning"})
    counts = {s: sum(1 for f in findings if f["severity"] == s) for s in ("critical", "warning", "info")}
    runs = [{"collected_at": (now - dt.timedelta(days=89 - d)).isoformat().replace("+00:00", "Z"),
             "total_ms": 3.6e6 * (1 + d / 60 + rng.uniform(-0.1, 0.1)),
             "calls_per_s": 900 + 5 * d + rng.uniform(-40, 40),
             "findings": {s: max(0, int(c * (0.6 + d / 220))) for s, c in counts.items()}} for d in range(90)]
    return {
        "schema_version": "1.0", "tool": {"name": "dbxray", "version": "0.1.0"}, "kind": "report",
        "target": {"engine": "postgres", "flavor": "postgres", "server_version": "16.4", "database": "catalog",
                   "host": "db-primary.internal"},
        "collected_at": now.isoformat().replace("+00:00", "Z"),
        "collection": {"duration_ms": 4210.0, "live_analysis": {"plans_ms": 812.0, "index_advice_ms": 1533.0},
                       "collectors": [{"name": f"collector_{i}", "status": "ok" if i % 9 else "skipped",
                                       "duration_ms": rng.uniform(1, 900), "detail": "" if i % 9 else "not installed"}
                                      for i in range(20)]},
        "summary": {
            "findings": counts, "notes": ["pg_stats is hidden from this role for 12 tables"], "incomplete": [],
            "database": {"size_bytes": 7.3e12, "cache_hit_ratio": 0.982, "temp_files": 18234, "temp_bytes": 9.1e11,
                         "deadlocks": 3, "xact_commit": 9.1e9, "xact_rollback": 2.1e6, "stats_reset": None,
                         "stats_age_days": 41.2, "connections": 412, "max_connections": 500},
            "statements": statements,
            "tables": [{"schema": "public", "table": t, "total_bytes": rng.randint(1, 900) << 30,
                        "n_live_tup": rng.randint(10**6, 10**9), "n_dead_tup": rng.randint(0, 10**7),
                        "seq_scan": rng.randint(0, 10**5), "idx_scan": rng.randint(0, 10**9),
                        "writes": rng.randint(0, 10**8), "seq_scan_pct": rng.uniform(0, 100),
                        "hit_ratio": rng.uniform(0.7, 1)} for t in rng.sample(names, 50)],
        },
        "findings": findings,
        "diagnosis": {"summary": "Twenty statements without a usable index take most of the time; "
                                 "vacuum is behind on 125 tables; five sequences are close to their limit.",
                      "bottlenecks": bottlenecks},
        "history": {
            "runs": runs,
            "regressions": [{"query_id": s["query_id"], "query": s["query"], "mean_ms_before": s["mean_ms"] / 3,
                             "mean_ms_after": s["mean_ms"], "ratio": 3 + rng.uniform(0, 20)} for s in statements],
            "table_growth": [{"schema": "public", "table": t, "bytes_per_day": rng.randint(1, 5000) << 20,
                              "days_to_threshold": rng.choice([None, rng.randint(3, 400)])}
                             for t in rng.sample(names, 100)],
        },
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tables", type=int, default=10000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", type=Path, help="render this report JSON instead of the synthetic one")
    ap.add_argument("--out", type=Path, help="write the page here")
    args = ap.parse_args()
    data = json.loads(args.json.read_text()) if args.json else build(args.tables)
    t0, c0 = time.perf_counter(), time.process_time()
    from dbxray.report.html import render_html

    page = render_html(data)
    first, first_cpu = time.perf_counter() - t0, time.process_time() - c0
    warm, warm_cpu = [], []
    for _ in range(max(0, args.repeat - 1)):
        t1, c1 = time.perf_counter(), time.process_time()
        render_html(data)
        warm.append(time.perf_counter() - t1)
        warm_cpu.append(time.process_time() - c1)
    mb = len(page.encode("utf-8")) / 1e6
    if args.out:
        args.out.write_text(page, encoding="utf-8")
    src = str(args.json) if args.json else f"synthetic, {args.tables:,} tables"
    print(f"report: {src}: {len(data.get('findings', [])):,} findings, "
          f"{len(data['summary'].get('statements') or []):,} statements, "
          f"{len((data.get('diagnosis') or {}).get('bottlenecks') or []):,} bottlenecks, "
          f"{len((data.get('history') or {}).get('runs') or []):,} history runs; "
          f"JSON {len(json.dumps(data)) / 1e6:.2f} MB")
    print(f"render_html: first {first:.3f} s wall, {first_cpu:.3f} s CPU (imports + template compile included)"
          + (f"; then median {statistics.median(warm):.3f} s wall, {statistics.median(warm_cpu):.3f} s CPU "
             f"over {len(warm)}" if warm else ""))
    print(f"page: {mb:.2f} MB")
    ok = first < TARGET_S and mb < TARGET_MB
    print(f"targets: < {TARGET_S:g} s and < {TARGET_MB:g} MB: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
