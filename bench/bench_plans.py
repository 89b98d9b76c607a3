"""Benchmark: parse + analyse + render a plan of ~10,000 nodes (targets: < 1 s, < 200 MB).

The plan is real: a throwaway PostgreSQL (from the local binaries) with a table of 5,000
partitions, each with an index, and ``EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)`` of a query no
partition can be pruned from (Append -> 5,000 x Bitmap Heap Scan -> Bitmap Index Scan = 10,001
nodes). ``--synthetic`` builds a JSON tree of the same size instead (no server needed).

    .venv/bin/python bench/bench_plans.py [--partitions 5000] [--synthetic] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import time
import tracemalloc


def real_plan(partitions: int) -> str:
    import psycopg

    from dbxray.demo.sandbox import PostgresSandbox

    sandbox = PostgresSandbox(preload=(), settings={"max_locks_per_transaction": "2048"}).start()
    try:
        with psycopg.connect(sandbox.dsn(), autocommit=True) as conn:
            started = time.monotonic()
            conn.execute("CREATE TABLE p (id int, k int) PARTITION BY RANGE (id)")
            with conn.transaction():
                for i in range(partitions):
                    conn.execute(f"CREATE TABLE p_{i} PARTITION OF p FOR VALUES FROM ({i * 10}) TO ({i * 10 + 10})")
            conn.execute("CREATE INDEX ON p (k)")
            conn.execute("INSERT INTO p SELECT i, i %% 7 FROM generate_series(0, %s) i", (partitions * 10 - 1,))
            conn.execute("ANALYZE p")
            print(f"built {partitions} partitions in {time.monotonic() - started:.1f} s")
            conn.execute("SET enable_seqscan = off")
            conn.execute("SET enable_indexscan = off")  # Bitmap Heap Scan over Bitmap Index Scan: 2 nodes each
            conn.execute("SET max_parallel_workers_per_gather = 0")
            rows = conn.execute("EXPLAIN (ANALYZE, BUFFERS, VERBOSE, SETTINGS, FORMAT JSON) "
                                "SELECT * FROM p WHERE k = 3").fetchall()
            return json.dumps(rows[0][0])
    finally:
        sandbox.stop()


def synthetic_plan(nodes: int) -> str:
    """Append over scans with filters, loops and buffers: every rule has something to look at."""
    scans = []
    for i in range((nodes - 1) // 2):
        scans.append({
            "Node Type": "Bitmap Heap Scan", "Relation Name": f"p_{i}", "Schema": "public", "Alias": f"p_{i}",
            "Startup Cost": 4.2, "Total Cost": 20.5 + i % 7, "Plan Rows": 2, "Plan Width": 8,
            "Actual Startup Time": 0.01, "Actual Total Time": 0.02 + (i % 13) / 100, "Actual Rows": 1 + i % 3,
            "Actual Loops": 1, "Recheck Cond": "(k = 3)", "Filter": "(id > 5)", "Rows Removed by Filter": i % 50,
            "Exact Heap Blocks": 1, "Lossy Heap Blocks": 0, "Shared Hit Blocks": 3,
            "Plans": [{"Node Type": "Bitmap Index Scan", "Index Name": f"p_{i}_k_idx", "Startup Cost": 0,
                       "Total Cost": 4.2, "Plan Rows": 2, "Plan Width": 0, "Actual Startup Time": 0.005,
                       "Actual Total Time": 0.005, "Actual Rows": 1, "Actual Loops": 1, "Index Cond": "(k = 3)"}]})
    root = {"Node Type": "Append", "Startup Cost": 0, "Total Cost": 1e5, "Plan Rows": 10000, "Plan Width": 8,
            "Actual Startup Time": 0.01, "Actual Total Time": 500.0, "Actual Rows": 10000, "Actual Loops": 1,
            "Plans": scans}
    return json.dumps([{"Plan": root, "Planning Time": 90.0, "Execution Time": 510.0}])


def run_once(text: str) -> dict:
    from dbxray.plans.load import parse_plan_text
    from dbxray.plans.render import render_terminal
    from dbxray.plans.report import analyse, build_explain_report
    from dbxray.report import render

    timings = {}
    t0 = time.perf_counter()
    plan = parse_plan_text(text)
    timings["parse_s"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    findings = analyse(plan)
    timings["analyse_s"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    report = build_explain_report(plan, findings, {"engine": "postgres"})  # includes the plain text tree
    render(report, "json")
    timings["report_json_s"] = time.perf_counter() - t2
    t3 = time.perf_counter()
    render_terminal(plan, findings, color=True)
    timings["terminal_s"] = time.perf_counter() - t3
    timings["total_s"] = time.perf_counter() - t0
    timings["nodes"] = len(plan.nodes())
    timings["findings"] = len(findings)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partitions", type=int, default=5000)
    parser.add_argument("--synthetic", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    text = synthetic_plan(2 * args.partitions + 1) if args.synthetic else real_plan(args.partitions)
    print(f"plan JSON: {len(text) / 1e6:.1f} MB ({'synthetic' if args.synthetic else 'real server'})")
    import dbxray.plans.load
    import dbxray.plans.render
    import dbxray.plans.report
    import dbxray.plans.rules  # noqa: F401

    runs = []
    for _ in range(args.repeat):
        gc.collect()
        runs.append(run_once(text))
    best = min(runs, key=lambda r: r["total_s"])
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before tracemalloc adds its own
    gc.collect()
    tracemalloc.start()
    run_once(text)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"nodes {best['nodes']:,}  findings {best['findings']}")
    print("best of {}: parse {parse_s:.3f} s, analyse {analyse_s:.3f} s, report+json {report_json_s:.3f} s, "
          "terminal {terminal_s:.3f} s, total {total_s:.3f} s".format(args.repeat, **best))
    print(f"peak traced allocations {peak / 1e6:.1f} MB, peak RSS of the process {rss_mb:.1f} MB")
    print(f"targets: total < 1 s: {'OK' if best['total_s'] < 1 else 'MISSED'}; "
          f"< 200 MB: {'OK' if peak / 1e6 < 200 and rss_mb < 200 else 'MISSED'}")


if __name__ == "__main__":
    main()
