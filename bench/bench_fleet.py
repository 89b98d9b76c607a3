"""Benchmark: ``dbxray report --all`` over 20 databases, ``--jobs 1`` against ``--jobs 4``.

Starts a throwaway PostgreSQL from the local binaries (``pg_stat_statements`` preloaded), creates
``--databases`` databases, each a small shop (customers, orders with an unindexed foreign key, a
table without a primary key, a few thousand rows) with its own workload in ``pg_stat_statements``,
writes a ``dbxray.toml`` with one ``[targets.NAME]`` per database (``dsn_env``), then times the
installed CLI, ``report --all --format json -o DIR`` with each ``--jobs`` value, ``--repeat`` times
alternately (median wall time). Every run must report every target (exit 0 or 1, one file each).

    .venv/bin/python bench/bench_fleet.py [--databases 20] [--repeat 3] [--jobs 1 4]

Prints the figures, writes them to bench/results/fleet-<stamp>.json, exits 1 when --jobs 4 is not
faster than --jobs 1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DBXRAY = str(Path(sys.executable).with_name("dbxray"))

SCHEMA = """
    CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
    CREATE TABLE customers (id int PRIMARY KEY, email text, region int);
    CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers (id), total int,
                         created_at timestamptz DEFAULT now());
    CREATE TABLE events (at timestamptz, kind text, payload text);
    INSERT INTO customers SELECT g, 'c' || g || '@example.com', g % 20 FROM generate_series(1, 3000) g;
    INSERT INTO orders SELECT g, 1 + g % 3000, g % 500 FROM generate_series(1, 30000) g;
    INSERT INTO events SELECT now(), 'view', repeat('x', 50) FROM generate_series(1, 2000);
    ANALYZE;
"""
WORKLOAD = [
    ("SELECT count(*), sum(total) FROM orders WHERE customer_id = %s", lambda i: (1 + i % 3000,)),
    ("SELECT * FROM customers WHERE email = %s", lambda i: (f"c{i}@example.com",)),
    ("SELECT region, count(*) FROM customers GROUP BY region", lambda i: ()),
    ("UPDATE orders SET total = total + 1 WHERE id = %s", lambda i: (1 + i,)),
]


def build(pg, count: int, calls: int) -> list[str]:
    import psycopg

    names = [f"shop{i:02d}" for i in range(count)]
    with psycopg.connect(pg.dsn(), autocommit=True) as conn:
        for name in names:
            conn.execute(f"CREATE DATABASE {name}")
    for name in names:
        with psycopg.connect(pg.dsn(name), autocommit=True) as conn:
            conn.execute(SCHEMA)
            for i in range(calls):
                sql, args = WORKLOAD[i % len(WORKLOAD)]
                conn.execute(sql, args(i))
    return names


def server_cpu(pg) -> float:
    """CPU seconds the server has used: the postmaster's own and its exited backends' (``/proc``)."""
    pid = (pg.datadir / "postmaster.pid").read_text().split()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")  # utime stime cutime cstime


def run_fleet(workdir: Path, env: dict[str, str], jobs: int, pg) -> dict[str, float]:
    """One ``--all`` run: wall seconds, the dbxray process's CPU seconds, the server's CPU seconds."""
    out = workdir / f"out-{jobs}"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_before = server_cpu(pg)
    started = time.perf_counter()
    result = subprocess.run([DBXRAY, "report", "--all", "--jobs", str(jobs), "--format", "json", "-o", str(out),
                             "--no-progress"], cwd=workdir, env=env, capture_output=True, text=True, timeout=1800)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    client = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    server = server_cpu(pg) - server_before
    if result.returncode not in (0, 1):
        raise SystemExit(f"--jobs {jobs} failed (exit {result.returncode}): {result.stderr[-2000:]}")
    reports = sorted(out.glob("*.json"))
    targets = env["BENCH_TARGETS"].split()
    if [p.stem for p in reports] != sorted(targets):
        raise SystemExit(f"--jobs {jobs}: reports for {[p.stem for p in reports]}, expected {sorted(targets)}")
    return {"wall_s": seconds, "dbxray_cpu_s": client, "server_cpu_s": server}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--calls", type=int, default=400, help="workload statements per database")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 4])
    args = parser.parse_args()

    from dbxray.demo.sandbox import PostgresSandbox

    pg = PostgresSandbox(preload=("pg_stat_statements",), settings={"max_connections": "100"}, fast=True).start()
    try:
        t0 = time.perf_counter()
        names = build(pg, args.databases, args.calls)
        build_s = time.perf_counter() - t0
        workdir = Path(tempfile.mkdtemp(prefix="dbxray-bench-fleet-"))
        toml = "".join(f'[targets.{n}]\ndsn_env = "DSN_{n.upper()}"\n' for n in names)
        (workdir / "dbxray.toml").write_text(toml, encoding="utf-8")
        env = {**os.environ, "BENCH_TARGETS": " ".join(names), **{f"DSN_{n.upper()}": pg.dsn(n) for n in names}}
        runs: dict[int, list[dict[str, float]]] = {j: [] for j in args.jobs}
        load_before = os.getloadavg()[0]
        for _ in range(args.repeat):
            for jobs in args.jobs:
                runs[jobs].append(run_fleet(workdir, env, jobs, pg))
                r = runs[jobs][-1]
                print(f"--jobs {jobs}: {r['wall_s']:.1f} s (dbxray CPU {r['dbxray_cpu_s']:.1f} s, "
                      f"server CPU {r['server_cpu_s']:.1f} s)", flush=True)
    finally:
        pg.stop()
    median = {j: {k: statistics.median(r[k] for r in v) for k in v[0]} for j, v in runs.items()}
    base, best = median[args.jobs[0]]["wall_s"], median[args.jobs[-1]]["wall_s"]
    figures = {
        "databases": args.databases, "repeat": args.repeat, "calls_per_database": args.calls,
        "build_s": round(build_s, 1), "cpus": os.cpu_count(), "machine": platform.platform(),
        "load_average_1m": round(load_before, 2),
        "runs": {str(j): [{k: round(x, 2) for k, x in r.items()} for r in v] for j, v in runs.items()},
        "median": {str(j): {k: round(x, 2) for k, x in m.items()} for j, m in median.items()},
        "ratio": round(base / best, 2),
    }
    print(json.dumps(figures, indent=2))
    print(f"--all over {args.databases} databases: --jobs {args.jobs[0]} {base:.1f} s, --jobs {args.jobs[-1]} "
          f"{best:.1f} s: {base / best:.2f}x faster")
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    (results / f"fleet-{stamp}.json").write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0 if best < base else 1


if __name__ == "__main__":
    sys.exit(main())
