"""Benchmark: the index advisor over 500 distinct statements on 200 tables, with HypoPG.

Brings up a throwaway PostgreSQL (dbxray.demo.sandbox), creates 200 tables of 5,000 rows (no secondary
indexes), runs 500 distinct statements through psycopg with real parameters so pg_stat_statements
records them normalized, then times the advisor (in-process, and the whole ``dbxray indexes``
command) and counts its HypoPG calls. Target: advice within 20 s.

    .venv/bin/python bench/bench_indexes.py [--tables 200] [--rows 5000] [--statements 500]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from dbxray.collect import run_collectors
from dbxray.connect import Limits, connect
from dbxray.demo.sandbox import PostgresSandbox
from dbxray.engines.postgres.advisor.advise import advise

SHAPES = [
    ("SELECT * FROM {t} WHERE a = %s", lambda i: (i % 500,)),
    ("SELECT id, d FROM {t} WHERE b = %s AND c = %s ORDER BY d DESC LIMIT 10", lambda i: (i % 50, i % 20)),
    ("SELECT count(*) FROM {t} WHERE c = %s AND d >= %s", lambda i: (i % 20, "2025-06-01")),
    ("SELECT x.e FROM {t} x JOIN {u} y ON y.a = x.id WHERE x.id = %s", lambda i: (i % 5000 + 1,)),
    ("UPDATE {t} SET e = e WHERE b = %s AND a = %s", lambda i: (i % 50, i % 500)),
]


def build(dsn: str, tables: int, rows: int, statements: int) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements; CREATE EXTENSION IF NOT EXISTS hypopg")
        for n in range(tables):
            conn.execute(f"CREATE TABLE t{n:03d} (id int PRIMARY KEY, a int, b int, c int, d timestamptz, e text)")
            conn.execute(f"INSERT INTO t{n:03d} SELECT i, i % 500, i % 50, i % 20, "
                         f"timestamptz '2025-01-01' + (i * 37 % 365) * interval '1 day', 'e' || i "
                         f"FROM generate_series(1, {rows}) i")
        conn.execute("ANALYZE")
        conn.execute("SELECT pg_stat_statements_reset()")
        made, rnd = 0, 0
        while made < statements and rnd < len(SHAPES):
            for n in range(tables):
                if made >= statements:
                    break
                # table n gets shapes n, n+1, n+2 ... (mod 5): every text is distinct, every shape is used
                shape, params = SHAPES[(n + rnd) % len(SHAPES)]
                sql = shape.format(t=f"t{n:03d}", u=f"t{(n + 1) % tables:03d}")
                for k in range(2):
                    cur = conn.execute(sql, params(n * 7 + k))
                    if cur.description:
                        cur.fetchall()
                made += 1
            rnd += 1


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tables", type=int, default=200)
    ap.add_argument("--rows", type=int, default=5000)
    ap.add_argument("--statements", type=int, default=500)
    args = ap.parse_args()
    with PostgresSandbox(settings={"pg_stat_statements.max": "10000"}) as pg:
        dsn = pg.dsn()
        t0 = time.monotonic()
        build(dsn, args.tables, args.rows, args.statements)
        print(f"setup: {args.tables} tables x {args.rows} rows, workload in {time.monotonic() - t0:.1f} s",
              flush=True)
        with connect(dsn, Limits(statement_timeout=60)) as session:
            snap = run_collectors(session, only={"statements", "statements_info"})
            t1 = time.monotonic()
            advice = advise(session, snap)
            advise_s = time.monotonic() - t1
            again = advise(session, snap)  # same snapshot, same server: the advice must be the same
        same = sorted(f.sql for f in advice.findings) == sorted(f.sql for f in again.findings)
        s = advice.summary
        proven = sum(1 for f in advice.findings if f.evidence.get("proven"))
        tables = len({f.object["table"] for f in advice.findings})
        print(f"advisor: {advise_s:.2f} s for {s['statements_considered']} statements "
              f"({s['statements_advised']} advised, skipped {s['skipped']}), {s['candidates']} candidates, "
              f"{s['hypopg_calls']} HypoPG calls, {len(advice.findings)} findings ({proven} proven) on {tables} tables")
        print(f"second run on the same snapshot gives the same advice: {same}")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS of this process (setup + advisor): {peak:.0f} MB")
        exe = str(Path(sys.executable).with_name("dbxray"))
        t2 = time.monotonic()
        out = subprocess.run([exe, "indexes", "--dsn", dsn, "--format", "json", "--no-progress"],
                             capture_output=True, text=True, timeout=600)
        cli_s = time.monotonic() - t2
        data = json.loads(out.stdout)
        print(f"dbxray indexes --format json: {cli_s:.2f} s end to end, {len(data['findings'])} findings, "
              f"exit {out.returncode}")
        verdict = "OK" if advise_s <= 20 else "SLOWER THAN TARGET"
        print(f"target: advice within 20 s -> {verdict}")


if __name__ == "__main__":
    main()
