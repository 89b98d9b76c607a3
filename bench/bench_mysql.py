"""Benchmark: the report on a catalog-heavy MariaDB (5,000 tables, 15,000 indexes, 2,000 digests).

Brings up a throwaway MariaDB with performance_schema ON (tests.support.mariadb), builds the
catalog with the setup session's own instrumentation off (so its DDL never becomes digests),
runs 2,000 distinct statements as an application would (default schema = the catalog, literal
values), then measures:

* ``dbxray report --format json`` as a subprocess (the installed CLI), median wall time and the
  peak RSS of the process (``os.wait4``);
* the same collector SQL files dbxray chooses for this server (``dbxray.collect.choose``), run
  through ONE ``mariadb`` client session, median wall time: the floor dbxray cannot beat;
* ``dbxray --help``;
* an in-process breakdown: time per collector, per check, and peak RSS after each phase.

Targets (issue 14): report <= 1.3 x raw SQL + 1 s, peak RSS < 300 MB, --help < 0.3 s, at 5,000 and
20,000 tables (``--tables 5000 20000``: one throwaway server per size, built with
``innodb_flush_method = nosync`` so that 20,000 CREATE TABLE do not each wait for an fsync).

    .venv/bin/python bench/bench_mysql.py [--tables 5000 20000] [--statements 2000] [--runs 3] [--keep]
    .venv/bin/python bench/bench_mysql.py --dsn mysql://root@127.0.0.1:PORT/catalog   # re-measure
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import pymysql
from pymysql.constants import CLIENT

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.support: the MariaDB sandbox (test-only code)

RESULTS = Path(__file__).resolve().parent / "results"
SHAPES = (
    "SELECT id, a, b FROM {t} WHERE a = {v}",
    "SELECT COUNT(*) FROM {t} WHERE b > {v}",
    "UPDATE {t} SET note = 'x{v}' WHERE id = {v}",
    "SELECT id, note FROM {t} WHERE parent_id = {v} ORDER BY created_at DESC LIMIT 10",
    "SELECT a, COUNT(*) FROM {t} GROUP BY a HAVING COUNT(*) > {v}",
)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _conn(dsn: str, database: str | None = None) -> pymysql.connections.Connection:
    url = urlsplit(dsn)
    return pymysql.connect(host=url.hostname, port=url.port or 3306, user=url.username or "root",
                           password=url.password or "", database=database, autocommit=True,
                           client_flag=CLIENT.MULTI_STATEMENTS)


def build(dsn: str, tables: int, statements: int, batch: int = 50) -> dict:
    t0 = time.monotonic()
    db = urlsplit(dsn).path.lstrip("/")
    with _conn(dsn) as conn, conn.cursor() as cur:
        # the setup's own statements must not become digests
        cur.execute("UPDATE performance_schema.threads SET INSTRUMENTED = 'NO' WHERE PROCESSLIST_ID = CONNECTION_ID()")
        cur.execute(f"CREATE DATABASE IF NOT EXISTS `{db}`")
        cur.execute(f"USE `{db}`")
        for start in range(1, tables + 1, batch):
            script = "".join(_table_ddl(i) for i in range(start, min(start + batch, tables + 1)))
            cur.execute(script)
            while cur.nextset():
                pass
            if start % 1000 == 1:
                log(f"  tables {start}..{min(start + batch, tables + 1) - 1} of {tables} "
                    f"({time.monotonic() - t0:.0f} s)")
        cur.execute("TRUNCATE TABLE performance_schema.events_statements_summary_by_digest")
    built_s = time.monotonic() - t0
    t1 = time.monotonic()
    run_statements(dsn, db, tables, statements)
    with _conn(dsn) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT (SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{db}'), "
                    f"(SELECT COUNT(DISTINCT TABLE_NAME, INDEX_NAME) FROM information_schema.STATISTICS "
                    f" WHERE TABLE_SCHEMA = '{db}'), "
                    f"(SELECT COUNT(*) FROM performance_schema.events_statements_summary_by_digest "
                    f" WHERE SCHEMA_NAME = '{db}')")
        counts = cur.fetchone()
    return {"tables": counts[0], "indexes": counts[1], "digests": counts[2], "build_s": round(built_s, 1),
            "statements_s": round(time.monotonic() - t1, 1)}


def _table_ddl(i: int) -> str:
    name = f"t_{i:05d}"
    return (f"CREATE TABLE {name} (id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, parent_id BIGINT, "
            "a INT NOT NULL, b INT, note VARCHAR(100), created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, "
            "KEY ix_parent (parent_id), KEY ix_a_b (a, b));"
            f"INSERT INTO {name} (a, b, note) VALUES (1, 0, 'r1'), (2, 1, 'r2'), (3, 2, 'r3'), (4, 0, 'r4'), "
            "(5, 1, 'r5');")


def run_statements(dsn: str, db: str, tables: int, statements: int, calls: int = 2) -> None:
    """Distinct digests: each (shape, table) pair normalizes to its own text."""
    with _conn(dsn, db) as conn, conn.cursor() as cur:
        for k in range(statements):
            shape = SHAPES[k % len(SHAPES)]
            table = f"t_{1 + (k // len(SHAPES)) % tables:05d}"
            for c in range(calls):
                cur.execute(shape.format(t=table, v=c + 1))
                cur.fetchall()
    log(f"  {statements} distinct statements, {calls} calls each")


# -- measuring ------------------------------------------------------------------------------------

def timed_process(args: list[str], stdin: bytes | None = None) -> tuple[float, float, int, str]:
    """(wall seconds, peak RSS in MB, exit code, stderr) of one child process, via wait4."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as inp:
        if stdin is not None:
            inp.write(stdin)
            inp.seek(0)
        t0 = time.perf_counter()
        proc = subprocess.Popen(args, stdin=inp, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        err.seek(0)
        return wall, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status), err.read().decode(errors="replace")


def chosen_collectors(dsn: str) -> list[tuple[str, Path]]:
    """The collector files dbxray runs on this server, chosen exactly as dbxray chooses them."""
    from dbxray.collect import ServerContext, choose, load_specs
    from dbxray.connect import connect

    with connect(dsn) as session:
        ctx = ServerContext(engine="mysql", version_num=session.version_num,
                            flavor="mariadb" if session.is_mariadb else "mysql")
    chosen = choose(load_specs("mysql"), ctx)
    return [(metric, spec.path) for metric, spec in chosen.items() if not isinstance(spec, str)]


def raw_sql_script(dsn: str, files: list[Path]) -> bytes:
    db = urlsplit(dsn).path.lstrip("/")
    parts = [f"SET @dbxray_db = '{db}';"]
    for f in files:
        parts.append(f.read_text().rstrip().rstrip(";") + ";")
    return "\n".join(parts).encode()


def client_args(dsn: str) -> list[str]:
    url = urlsplit(dsn)
    client = shutil.which("mariadb") or shutil.which("mysql")
    if client is None:
        raise SystemExit("the mariadb (or mysql) command-line client is needed for the raw SQL baseline")
    args = [client, "-h", url.hostname or "127.0.0.1", "-P", str(url.port or 3306), "-u", url.username or "root",
            "--batch", "--skip-column-names"]
    if url.password:
        args.append(f"-p{url.password}")
    return args


def breakdown(dsn: str) -> dict:
    """Where one report's time and memory go, in this process (the same functions as the CLI)."""
    import resource

    def peak() -> float:
        return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)

    from dbxray.checks import checks_for
    from dbxray.config import Config
    from dbxray.pipeline import analyze_snapshot, collect_snapshot
    from dbxray.report import render

    peaks = {"imports": peak()}
    t = time.perf_counter()
    snap = collect_snapshot(dsn)
    collect_s = time.perf_counter() - t
    peaks["collect"] = peak()
    collectors = {c.name: {"ms": round(c.duration_ms, 1), "rows": c.rows, "status": c.status,
                           **({"detail": c.detail} if c.status != "ok" else {})}
                  for c in snap.collectors}
    config = Config()
    checks = {}
    for info in checks_for("mysql"):
        t = time.perf_counter()
        list(info.func(snap, config.thresholds(info.id, info.thresholds)))
        checks[info.id] = round((time.perf_counter() - t) * 1000, 1)
    peaks["checks"] = peak()
    t = time.perf_counter()
    rep = analyze_snapshot(snap, config)
    analyze_s = time.perf_counter() - t
    t = time.perf_counter()
    text = render(rep, "json")
    render_s = time.perf_counter() - t
    peaks["render"] = peak()
    return {"collect_s": round(collect_s, 3), "analyze_s": round(analyze_s, 3), "render_s": round(render_s, 3),
            "json_kb": round(len(text) / 1024, 1), "findings": len(rep.findings), "collectors_ms": collectors,
            "checks_ms": checks, "peak_rss_mb": peaks}


def measure(dsn: str, runs: int) -> dict:
    exe = shutil.which("dbxray") or str(Path(sys.executable).with_name("dbxray"))
    files = [path for _m, path in chosen_collectors(dsn)]
    script = raw_sql_script(dsn, files)
    raw, report, rss = [], [], []
    # interleaved, so a busy neighbour on a shared machine slows both sides alike
    for _ in range(runs):
        wall, _rss, code, err = timed_process(client_args(dsn), stdin=script)
        if code != 0:
            raise SystemExit(f"raw collector SQL failed: {err.strip()[-500:]}")
        raw.append(wall)
        wall, peak_mb, code, err = timed_process([exe, "report", "--dsn", dsn, "--format", "json", "--no-progress",
                                                  "--output", os.devnull])
        if code not in (0, 1):
            raise SystemExit(f"dbxray report failed ({code}): {err.strip()[-500:]}")
        report.append(wall)
        rss.append(peak_mb)
    helps = [timed_process([exe, "--help"])[0] for _ in range(max(runs, 5))]
    raw_s, report_s = statistics.median(raw), statistics.median(report)
    result = {
        "collector_files": [f.name for f in files],
        "raw_sql_s": round(raw_s, 3), "raw_sql_runs": [round(x, 3) for x in raw],
        "report_s": round(report_s, 3), "report_runs": [round(x, 3) for x in report],
        "report_peak_rss_mb": round(max(rss), 1),
        "help_s": round(statistics.median(helps), 3),
        "overhead_s": round(report_s - raw_s, 3),
        "ratio": round(report_s / raw_s, 2) if raw_s else None,
    }
    result["targets"] = {
        "report <= 1.3 x raw + 1 s": report_s <= 1.3 * raw_s + 1.0,
        "peak RSS < 300 MB": max(rss) < 300,
        "--help < 0.3 s": result["help_s"] < 0.3,
    }
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tables", type=int, nargs="+", default=[5000])
    ap.add_argument("--statements", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dsn", help="measure an already built catalog instead of building one")
    ap.add_argument("--keep", action="store_true", help="leave the throwaway server running")
    args = ap.parse_args()
    ok = True
    for tables in ([None] if args.dsn else args.tables):
        ok = measure_one(args, tables) and ok
    return 0 if ok else 1


def measure_one(args: argparse.Namespace, tables: int | None) -> bool:
    sandbox = None
    built: dict = {}
    dsn = args.dsn
    if not dsn:
        from tests.support.mariadb import MariaDBSandbox

        sandbox = MariaDBSandbox(performance_schema=True, settings={
            "performance-schema-digests-size": "10000", "table-open-cache": "2000",
            "innodb-buffer-pool-size": "256M", "innodb-flush-method": "nosync"}).start()
        dsn = sandbox.dsn("catalog")
        log(f"throwaway MariaDB on {dsn}; building {tables} tables")
        try:
            built = build(dsn, tables, args.statements)
        except BaseException:
            sandbox.stop()
            raise
    try:
        log("measuring")
        result = {"dsn": dsn.split("@")[-1], "built": built, **measure(dsn, args.runs), "breakdown": breakdown(dsn)}
    finally:
        if sandbox and not args.keep:
            sandbox.stop()
        elif sandbox:
            log(f"kept running: {dsn} (stop: kill {sandbox.proc.pid if sandbox.proc else '?'}; "
                f"data in {sandbox.root})")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"mysql-{tables or 'dsn'}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps({k: v for k, v in result.items() if k != "breakdown"}, indent=2))
    b = result["breakdown"]
    slow = sorted(b["collectors_ms"].items(), key=lambda kv: -kv[1]["ms"])[:6]
    print("slowest collectors:", ", ".join(f"{k} {v['ms']:.0f} ms ({v['rows']} rows)" for k, v in slow))
    print("slowest checks:", ", ".join(f"{k} {v:.0f} ms" for k, v in sorted(b["checks_ms"].items(),
                                                                        key=lambda kv: -kv[1])[:5]))
    print(f"in-process: collect {b['collect_s']} s, analyze {b['analyze_s']} s, render {b['render_s']} s, "
          f"peak RSS {b['peak_rss_mb']}")
    print(f"wrote {out}")
    return all(result["targets"].values())


if __name__ == "__main__":
    sys.exit(main())
