"""Benchmark: list 1,000 stored runs (target: under 1 s) in each history store.

Fills a fresh SQLite store, directory store and (when the server binaries are here) a
PostgreSQL store on a throwaway server with ``--runs`` runs of ten targets, each run a
realistic gzip snapshot (a few hundred statements and tables), then times, in a fresh
``open_store`` each repeat: opening + listing everything + rendering the text table (what
``dbxray history`` does), listing one target, finding the previous run, loading one snapshot.
The directory store is timed cold (index deleted, rebuilt from the sidecars) and warm.

    .venv/bin/python bench/bench_history.py [--runs 1000] [--repeat 5] [--no-postgres]

Prints the figures, writes them to bench/results/history-<stamp>.json, exits 1 on a miss.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

TARGET_S = 1.0
T0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def realistic_snapshot():
    from dbxray.findings import Finding
    from dbxray.snapshot import Snapshot

    rng = np.random.default_rng(7)
    n = 400
    statements = pd.DataFrame({
        "queryid": rng.integers(1, 2**62, n), "query": [f"SELECT * FROM t{i % 90} WHERE id = $1" for i in range(n)],
        "calls": rng.integers(1, 10**6, n), "total_ms": rng.random(n) * 1e6, "rows": rng.integers(0, 10**7, n),
        "shared_blks_hit": rng.integers(0, 10**8, n), "shared_blks_read": rng.integers(0, 10**6, n)})
    tables = pd.DataFrame({"schema": ["public"] * 200, "table": [f"t{i}" for i in range(200)],
                           "n_live_tup": rng.integers(0, 10**7, 200), "seq_scan": rng.integers(0, 10**5, 200),
                           "idx_scan": rng.integers(0, 10**7, 200), "total_bytes": rng.integers(8192, 10**10, 200)})
    settings = pd.DataFrame({"name": [f"setting_{i}" for i in range(350)],
                             "setting": [str(v) for v in rng.integers(0, 10**6, 350)],
                             "unit": ["kB"] * 350, "source": ["default"] * 350,
                             "short_desc": [f"what setting {i} does, in a sentence" for i in range(350)]})
    indexes = pd.DataFrame({"schema": ["public"] * 600, "table": [f"t{i % 200}" for i in range(600)],
                            "index": [f"t{i % 200}_idx{i}" for i in range(600)],
                            "idx_scan": rng.integers(0, 10**7, 600), "bytes": rng.integers(8192, 10**9, 600),
                            "definition": [f"CREATE INDEX t{i % 200}_idx{i} ON t{i % 200} (c{i % 9})"
                                           for i in range(600)]})
    findings = [Finding("missing_fk_index", "warning", f"t{i}", object={"table": f"t{i}"}).to_dict()
                for i in range(20)]
    frames = {"statements": statements, "tables": tables, "settings": settings, "indexes": indexes}
    return Snapshot("postgres", "15.4", 150004, "shop", "db1", T0, frames, [], {"report_findings": findings})


def fill(url: str, runs: int, data: bytes) -> float:
    from dbxray.store import open_store

    started = time.perf_counter()
    with open_store(url) as store:
        for i in range(runs):
            target = i % 10
            key = f"postgres://db{target}:5432/shop"
            store.save_run(key, f"db{target}:5432/shop", T0 + dt.timedelta(hours=i), data,
                           {"findings": {"critical": i % 3, "warning": 20, "info": i % 7}})
    return time.perf_counter() - started


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(name: str, url: str, runs: int, repeat: int, data: bytes, before_each=None) -> dict:
    from dbxray.store import open_store, render_runs

    fill_s = fill(url, runs, data)
    figures = {"store": name, "runs": runs, "fill_s": round(fill_s, 2), "snapshot_bytes": len(data)}

    def listing():
        if before_each:
            before_each()
        with open_store(url, readonly=True) as store:
            listed = store.runs()
            render_runs(listed, "text")
        assert len(listed) == runs, len(listed)

    if before_each:  # the directory store: listings that must rebuild the index first
        figures["list_cold_s"] = round(timed(listing, repeat), 4)
        before_each = None
    figures["list_s"] = round(timed(listing, repeat), 4)
    with open_store(url, readonly=True) as store:
        last = T0 + dt.timedelta(hours=runs)
        figures["list_target_s"] = round(timed(lambda: store.runs(target="db3:5432/shop"), repeat), 4)
        figures["previous_s"] = round(timed(lambda: store.previous("postgres://db3:5432/shop", last), repeat), 4)
        some = store.runs(limit=1)[0].id
        figures["load_snapshot_s"] = round(timed(lambda: store.load_snapshot(some), repeat), 4)
    print(f"{name:10s} {runs} runs: fill {fill_s:.1f} s; list+render {figures['list_s'] * 1000:.0f} ms"
          + (f" (cold, index rebuilt: {figures['list_cold_s'] * 1000:.0f} ms)" if "list_cold_s" in figures else "")
          + f"; one target {figures['list_target_s'] * 1000:.1f} ms; previous {figures['previous_s'] * 1000:.1f} ms;"
          f" load one snapshot {figures['load_snapshot_s'] * 1000:.0f} ms")
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()

    data = realistic_snapshot().to_bytes()
    results = []
    with tempfile.TemporaryDirectory(prefix="dbxray-bench-history-") as tmp:
        results.append(measure("sqlite", f"sqlite:///{tmp}/history.db", args.runs, args.repeat, data))
        runs_dir = Path(tmp) / "runs"
        results.append(measure("directory", str(runs_dir), args.runs, args.repeat, data,
                               before_each=lambda: (runs_dir / "dbxray-index.json").unlink(missing_ok=True)))
        results.append(legacy_directory(Path(tmp) / "legacy", args.runs, args.repeat))
    if not args.no_postgres:
        results.extend(postgres(args.runs, args.repeat, data))
    misses = [r["store"] for r in results if max(r["list_s"], r.get("list_cold_s", 0)) >= TARGET_S]
    out = Path(__file__).parent / "results" / f"history-{dt.datetime.now():%Y%m%dT%H%M%S}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"target_s": TARGET_S, "results": results}, indent=2))
    print(f"wrote {out}")
    if misses:
        print(f"MISSED the {TARGET_S:g} s listing target: {', '.join(misses)}")
        return 1
    return 0


def legacy_directory(path: Path, runs: int, repeat: int) -> dict:
    """A directory filled by the old ``--history DIR`` (no sidecars): the first listing reads
    every snapshot once to build the index; the following ones read the index."""
    from dbxray.report.history import snapshot_path
    from dbxray.store import open_store

    snap = realistic_snapshot()
    path.mkdir()
    for i in range(runs):
        snap.host = f"db{i % 10}"
        snap.collected_at = T0 + dt.timedelta(hours=i)
        snap.save(snapshot_path(path, snap))
    started = time.perf_counter()
    with open_store(path, readonly=True) as store:
        assert len(store.runs()) == runs
    first = time.perf_counter() - started

    def listing():
        with open_store(path, readonly=True) as store:
            assert len(store.runs()) == runs

    figures = {"store": "directory (written by the old --history DIR)", "runs": runs,
               "first_list_s": round(first, 3), "list_s": round(timed(listing, repeat), 4)}
    print(f"legacy dir {runs} runs: first listing (indexes every old snapshot once) {first:.2f} s; "
          f"then {figures['list_s'] * 1000:.0f} ms")
    return figures


def postgres(runs: int, repeat: int, data: bytes) -> list[dict]:
    from dbxray.demo.sandbox import PostgresSandbox, find_postgres_bindir

    if find_postgres_bindir() is None:
        print("postgres   skipped: no server binaries (initdb/postgres) here")
        return []
    sandbox = PostgresSandbox(preload=(), fast=True).start()
    try:
        return [measure("postgres", sandbox.dsn(), runs, repeat, data)]
    finally:
        sandbox.stop()


if __name__ == "__main__":
    sys.exit(main())
