"""Benchmark: ``dbxray report`` on a catalog-heavy PostgreSQL, against the same collector SQL in psql.

Builds, on a throwaway server (``dbxray.demo.sandbox.PostgresSandbox``, autovacuum off), a database of
10,000 tables (and 50,000 with ``--tables 10000 50000``) with 3 indexes each (primary key + two
secondary), a ``bigserial`` key per table (so a sequence owned through pg_depend), a foreign key on
every other table, a few rows each (each table ANALYZEd, so pg_stats and the bloat estimates have
work), and 5,000 distinct statements in pg_stat_statements. The system catalogs are NOT analysed:
they keep the statistics of a freshly created database, as after a bulk migration on a server
whose autovacuum has not caught up (issue 14: the planner then misestimates every catalog join).
With ``--stats both`` (the default) everything is measured twice, stale, then after ``ANALYZE`` of
every system catalog. Each time it measures:

- ``dbxray report --format json``, several runs, median wall time and peak RSS of the process;
- the collector SQL dbxray would run here (variants chosen with ``dbxray.collect.choose``),
  through one ``psql`` session (``psql -f a.sql -f b.sql …``, one connection like dbxray, with the
  session settings dbxray's collection uses: ``Engine.collection_settings``), median wall
  time, and per collector with ``\\timing``, in the same run as the report;
- ``check_postgres`` (Debian's ``check-postgres``, when installed): bloat, sequence, last_vacuum,
  last_analyze and relation_size on the same database, for comparison;
- ``dbxray --help``, median wall time;
- in-process: where the report's time goes (each collector, each check, summary, plans of the top
  statements and index advice, rendering), in the order ``dbxray.pipeline.live_report`` runs them.

Targets (issue 14): a complete report (exit 0); report <= 1.3 x raw SQL + 1 s; 10,000 tables in
under 6 s and 250 MB, 50,000 in under 30 s and 600 MB; --help < 0.3 s. Results are printed and
written to ``bench/results/postgres-<time>.json`` (git-ignored).

    .venv/bin/python bench/bench_postgres.py                       # 10,000 tables, stale then analysed
    .venv/bin/python bench/bench_postgres.py --tables 10000 50000  # both sizes (50,000: ~4 min to build)
    .venv/bin/python bench/bench_postgres.py --stats stale --keep  # leave the server for reruns
    .venv/bin/python bench/bench_postgres.py --dsn URL             # measure a database built before
    .venv/bin/python bench/bench_postgres.py --profile             # add a cProfile of one report run
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg import sql as pgsql

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
DBXRAY = str(Path(sys.executable).with_name("dbxray"))
DB = "catalog"

TARGET_RATIO = 1.3
TARGET_OVERHEAD_S = 1.0
TARGET_HELP_S = 0.3
# (tables up to, report seconds, peak RSS MB)
TARGETS_BY_SIZE = ((10000, 6.0, 250.0), (50000, 30.0, 600.0))
CHECK_POSTGRES_ACTIONS = ("bloat", "sequence", "last_vacuum", "last_analyze", "relation_size")


def size_targets(tables: int) -> tuple[float, float]:
    for upto, seconds, rss in TARGETS_BY_SIZE:
        if tables <= upto:
            return seconds, rss
    return TARGETS_BY_SIZE[-1][1:]


def log(msg: str) -> None:
    print(f"bench: {msg}", file=sys.stderr, flush=True)


# -- building the catalog -------------------------------------------------------------------------

def build(dsn: str, tables: int, statements: int, batch: int = 250) -> dict:
    """Create the tables, indexes, rows and statements; returns what was built (counted, not assumed).

    Only the user tables are analysed (one ``ANALYZE t`` each, so pg_stats has rows for the bloat
    estimates): the system catalogs keep the statistics they had when the database was created, as
    after a bulk migration on a server whose autovacuum has not caught up (see ``analyse_catalogs``)."""
    t0 = time.monotonic()
    with psycopg.connect(dsn, autocommit=True) as conn:
        # the setup's own DDL must not fill pg_stat_statements
        conn.execute("SET pg_stat_statements.track_utility = off")
        for start in range(1, tables + 1, batch):
            stop = min(start + batch, tables + 1)
            with conn.transaction():
                for i in range(start, stop):
                    conn.execute(_table_ddl(i))
            if start % 2000 == 1:
                log(f"  tables {start}..{stop - 1} of {tables} ({time.monotonic() - t0:.0f} s)")
        log(f"  analysing the user tables, not the catalogs ({time.monotonic() - t0:.0f} s)")
        for start in range(1, tables + 1, batch):
            with conn.transaction():
                for i in range(start, min(start + batch, tables + 1)):
                    conn.execute(f"ANALYZE t_{i:05d}")
    built_s = time.monotonic() - t0
    t1 = time.monotonic()
    run_statements(dsn, tables, statements)
    with psycopg.connect(dsn, autocommit=True) as conn:
        counts = conn.execute(
            "SELECT (SELECT count(*) FROM pg_stat_user_tables), (SELECT count(*) FROM pg_stat_user_indexes), "
            "(SELECT count(*) FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database "
            "WHERE datname = current_database())), (SELECT count(*) FROM pg_class WHERE relkind = 'S'), "
            "(SELECT count(*) FROM pg_constraint WHERE contype = 'f')").fetchone()
    return {"tables": counts[0], "indexes": counts[1], "statements": counts[2], "sequences": counts[3],
            "foreign_keys": counts[4], "build_s": round(built_s, 1),
            "statements_s": round(time.monotonic() - t1, 1)}


def _table_ddl(i: int) -> str:
    name = f"t_{i:05d}"
    fk = f" REFERENCES t_{i - 1:05d} (id)" if i > 1 and i % 2 == 0 else ""
    return (
        f"CREATE TABLE {name} (id bigserial PRIMARY KEY, "
        f"parent_id bigint{fk}, a integer NOT NULL, b integer, note text, "
        "created_at timestamptz NOT NULL DEFAULT now());"
        f"CREATE INDEX {name}_parent_id_idx ON {name} (parent_id);"
        f"CREATE INDEX {name}_a_b_idx ON {name} (a, b);"
        f"INSERT INTO {name} (a, b, note) SELECT g, g % 3, 'row ' || g FROM generate_series(1, 5) AS g;"
    )


# different shapes against different tables: each (shape, table) pair is its own queryid
SHAPES = (
    "SELECT id, a, b FROM {t} WHERE a = %s",
    "SELECT count(*) FROM {t} WHERE b > %s",
    "UPDATE {t} SET note = %s WHERE id = %s",
    "SELECT id, note FROM {t} WHERE parent_id = %s ORDER BY created_at DESC LIMIT %s",
    "SELECT a, count(*) FROM {t} GROUP BY a HAVING count(*) > %s",
)


def run_statements(dsn: str, tables: int, statements: int, calls: int = 2) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_statements_reset()")
        n = 0
        for k in range(statements):
            shape = SHAPES[k % len(SHAPES)]
            table = f"t_{1 + (k // len(SHAPES)) % tables:05d}"
            query = pgsql.SQL(shape.format(t=table))
            nparams = shape.count("%s")
            for c in range(calls):
                params = (["x", c + 1] if shape.startswith("UPDATE") else [c + 1] * nparams)
                conn.execute(query, params[:nparams])
            n += 1
    log(f"  {n} distinct statements, {calls} calls each")


# -- measuring ------------------------------------------------------------------------------------

TIME_BIN = "/usr/bin/time"


def clean_start(args: list[str]) -> list[str]:
    """Start ``args`` from a tiny process: a forked child's ru_maxrss starts at its parent's RSS
    (the copied address space), which would charge this script's memory to the measured program."""
    return [TIME_BIN, "-f", "", *args] if os.path.exists(TIME_BIN) else args


_CLK = os.sysconf("SC_CLK_TCK")
LAST_CPU: dict[str, float] = {}
_POSTMASTER: dict[str, int] = {}


def server_cpu(dsn: str) -> float:
    """CPU seconds the server has used so far: the postmaster's own and its children's, exited ones
    included (a backend's time is added to the postmaster's cutime/cstime when it is reaped), plus the
    live children's. With other jobs on the machine, CPU time is what stays comparable between runs."""
    if dsn not in _POSTMASTER:
        with psycopg.connect(dsn) as conn:
            datadir = conn.execute("SHOW data_directory").fetchone()[0]
        _POSTMASTER[dsn] = int(Path(datadir, "postmaster.pid").read_text().split()[0])
    pm = _POSTMASTER[dsn]

    def fields(pid: int) -> list[str]:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()

    f = fields(pm)
    total = sum(int(x) for x in f[11:15])
    for child in Path(f"/proc/{pm}/task/{pm}/children").read_text().split():
        try:
            total += sum(int(x) for x in fields(int(child))[11:13])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total / _CLK


def timed_process(args: list[str], env: dict | None = None) -> tuple[float, float, int, str]:
    """(wall seconds, peak RSS in MB, exit code, stderr) of one process."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r") as rss:
        wrapped = [TIME_BIN, "-f", "%M", "-o", rss.name, *args] if os.path.exists(TIME_BIN) else args
        t0 = time.perf_counter()
        proc = subprocess.Popen(wrapped, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        LAST_CPU["client_s"] = usage.ru_utime + usage.ru_stime
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        text = rss.read().strip().splitlines()
        peak_kb = int(text[-1]) if wrapped is not args and text and text[-1].isdigit() else usage.ru_maxrss
        return wall, peak_kb / 1024, proc.returncode, err.read().decode(errors="replace")


def chosen_collectors(dsn: str) -> list[tuple[str, Path]]:
    """The collector files dbxray runs on this server, chosen exactly as dbxray chooses them."""
    from dbxray.collect import ServerContext, choose, load_specs

    with psycopg.connect(dsn, autocommit=True) as conn:
        version = conn.info.server_version
        extensions = dict(conn.execute("SELECT extname, extversion FROM pg_extension").fetchall())
        superuser = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0]
    ctx = ServerContext(engine="postgres", version_num=version, flavor="postgres", extensions=extensions,
                        is_superuser=superuser)
    chosen = choose(load_specs("postgres"), ctx)
    return [(metric, spec.path) for metric, spec in chosen.items() if not isinstance(spec, str)]


def paged_files(dsn: str, files: list[Path], out_dir: Path) -> tuple[list[Path], list[int]]:
    """The statements dbxray sends, as files psql can run: a paged collector (``-- page_size:``) becomes
    one file per page with its keyset bounds written in (learnt by running it once through dbxray's own
    ``query_collector``). Returns the files and, for each, the index of the collector it belongs to."""
    from dbxray.collect import load_specs
    from dbxray.connect import connect

    specs = {s.path: s for s in load_specs("postgres")}
    out, owner = [], []
    for k, f in enumerate(files):
        spec = specs.get(f)
        if spec is None or not spec.headers.get("page_size"):
            out.append(f)
            owner.append(k)
            continue
        size, key = int(spec.headers["page_size"]), spec.headers.get("page_key", "oid")
        keys, after = [], 0
        with connect(dsn) as session:  # the pages query_collector sends
            while True:
                keys.append(after)
                cols, page = session.query(spec.sql, {"after": after, "page_size": size})
                if len(page) < size:
                    break
                after = page[-1][cols.index(key)]
        for n, after in enumerate(keys):
            page = out_dir / f"{f.stem}.page{n}.sql"
            page.write_text(spec.sql.replace("%(after)s", str(after)).replace("%(page_size)s", str(size)))
            out.append(page)
            owner.append(k)
    return out, owner


def psql_run(psql: str, dsn: str, files: list[Path]) -> tuple[float, list[float]]:
    """Wall time of one psql session running every file, and each file's server time (\\timing)."""
    from dbxray.engines.postgres import ENGINE

    args = [psql, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", dsn]
    for stmt in ENGINE.collection_settings:
        args += ["-c", stmt]
    args += ["-c", "\\timing on"]
    for f in files:
        args += ["-f", str(f)]
    t0, c0 = time.perf_counter(), os.times()
    proc = subprocess.run(args, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t0
    c1 = os.times()
    LAST_CPU["client_s"] = c1.children_user - c0.children_user + c1.children_system - c0.children_system
    times = [float(m) for m in re.findall(r"^Time: ([\d.]+) ms", proc.stdout, re.M)]
    if len(times) != len(files):
        raise RuntimeError(f"expected {len(files)} timings from psql, got {len(times)}")
    return wall, times


def breakdown(dsn: str) -> dict:
    """Where one report's time and memory go, measured in this process (same functions as the CLI).

    ``peak_rss_mb`` is the process's peak after each phase: the phase where it jumps raised it.
    """
    import resource

    def peak() -> float:
        return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)

    peaks = {"start": peak()}
    t0 = time.perf_counter()
    from dbxray import pipeline
    from dbxray.checks import checks_for
    from dbxray.collect import run_collectors
    from dbxray.config import Config
    from dbxray.connect import connect
    from dbxray.report import render
    imports = time.perf_counter() - t0
    import pandas  # noqa: F401  (the CLI imports it when collecting)

    peaks["imports"] = peak()
    config = Config()
    with connect(dsn) as session:  # the steps of dbxray.pipeline.live_report, timed one by one
        t = time.perf_counter()
        snap = run_collectors(session)
        collect_s = time.perf_counter() - t
        peaks["collect"] = peak()
        collectors = {c.name: round(c.duration_ms, 1) for c in snap.collectors}
        checks = {}
        for info in checks_for("postgres"):
            t = time.perf_counter()
            list(info.func(snap, config.thresholds(info.id, info.thresholds)))
            checks[info.id] = round((time.perf_counter() - t) * 1000, 1)
        peaks["checks"] = peak()
        t = time.perf_counter()
        checked = pipeline.check(snap, config)
        analyze_s = time.perf_counter() - t
        t = time.perf_counter()
        live = pipeline.live_analysis(session, snap, checked, config)
        enrich_s = time.perf_counter() - t
        rep = pipeline.build(snap, checked, config, live)
        peaks["plans_and_index_advice"] = peak()
    t = time.perf_counter()
    text = render(rep, "json")
    render_s = time.perf_counter() - t
    peaks["render"] = peak()
    rows = {name: len(df) for name, df in snap.frames.items()}
    return {"imports_s": round(imports, 3), "collect_s": round(collect_s, 3),
            "collect_sql_s": round(sum(collectors.values()) / 1000, 3),
            "collect_python_s": round(collect_s - sum(collectors.values()) / 1000, 3),
            "analyze_s": round(analyze_s, 3), "enrich_s": round(enrich_s, 3), "render_s": round(render_s, 3),
            "report_bytes": len(text),
            "collectors_ms": collectors, "checks_ms": checks, "rows": rows, "peak_rss_mb": peaks}


def profile(dsn: str, out_dir: Path) -> str:
    """cProfile of one ``dbxray report --format json`` run: the top functions by cumulative time."""
    prof = out_dir / "report.prof"
    subprocess.run([sys.executable, "-m", "cProfile", "-o", str(prof), "-m", "dbxray.cli", "report", "--dsn", dsn,
                    "--format", "json", "--output", os.devnull], check=True, capture_output=True)
    import io
    import pstats

    buf = io.StringIO()
    pstats.Stats(str(prof), stream=buf).sort_stats("cumulative").print_stats(30)
    return buf.getvalue()


def analyse_catalogs(dsn: str) -> float:
    """ANALYZE every system catalog (what autovacuum would eventually do); returns the seconds taken."""
    t0 = time.monotonic()
    with psycopg.connect(dsn, autocommit=True) as conn:
        names = [r[0] for r in conn.execute(
            "SELECT oid::regclass::text FROM pg_class WHERE relnamespace = 'pg_catalog'::regnamespace "
            "AND relkind = 'r'").fetchall()]
        for name in names:
            conn.execute(f"ANALYZE {name}")
    return time.monotonic() - t0


def check_postgres(dsn: str, runs: int) -> dict | None:
    """Median wall time of each of check_postgres's comparable actions on the same database, or None."""
    import shutil
    from urllib.parse import urlsplit

    exe = shutil.which("check_postgres") or shutil.which("check_postgres.pl")
    if exe is None:
        return None
    url = urlsplit(dsn)
    base = [exe, "-H", url.hostname or "127.0.0.1", "-p", str(url.port or 5432), "-u", url.username or "postgres",
            f"--dbname={url.path.lstrip('/')}"]
    extra = {"relation_size": ["--warning=1000 GB"]}
    out: dict = {}
    for action in CHECK_POSTGRES_ACTIONS:
        walls, status = [], ""
        for _ in range(runs):
            t0 = time.perf_counter()
            proc = subprocess.run([*base, f"--action={action}", *extra.get(action, [])], capture_output=True,
                                  text=True)
            walls.append(time.perf_counter() - t0)
            status = (proc.stdout or proc.stderr).split(":")[0].strip()
        out[action] = {"s": round(statistics.median(walls), 3), "status": status}
    out["total_s"] = round(sum(v["s"] for v in out.values()), 3)
    return out


def measure(dsn: str, psql: str, runs: int) -> dict:
    env = {**os.environ, "DATABASE_URL": ""}
    report_walls, report_rss, report_codes, report_cpu, psql_cpu = [], [], [], [], []
    for i in range(runs):
        s0 = server_cpu(dsn)
        wall, rss, rc, err = timed_process([DBXRAY, "report", "--dsn", dsn, "--format", "json", "--output",
                                            os.devnull, "--no-progress"], env)
        report_cpu.append((LAST_CPU["client_s"], server_cpu(dsn) - s0))
        if rc != 0:
            log(f"  report run {i + 1} exited {rc}: {err.strip()[-300:]}")
        report_codes.append(rc)
        report_walls.append(wall)
        report_rss.append(rss)
        log(f"  report run {i + 1}: {wall:.2f} s, {rss:.0f} MB")
    collectors = chosen_collectors(dsn)
    tmp = Path(tempfile.mkdtemp(prefix="dbxray-bench-"))
    files, owner = paged_files(dsn, [path for _, path in collectors], tmp)
    psql_walls, per_file = [], []
    for i in range(runs):
        s0 = server_cpu(dsn)
        wall, page_times = psql_run(psql, dsn, files)
        psql_cpu.append((LAST_CPU["client_s"], server_cpu(dsn) - s0))
        times = [0.0] * len(collectors)
        for k, t in zip(owner, page_times):
            times[k] += t
        psql_walls.append(wall)
        per_file.append(times)
        log(f"  psql run {i + 1}: {wall:.2f} s (server {sum(times) / 1000:.2f} s)")
    import shutil

    shutil.rmtree(tmp, ignore_errors=True)
    help_walls = [timed_process([DBXRAY, "--help"], env)[0] for _ in range(max(runs, 5))]
    per_collector = {metric: round(statistics.median(t[k] for t in per_file), 1)
                     for k, (metric, _) in enumerate(collectors)}
    return {
        "report_s": round(statistics.median(report_walls), 3), "report_runs_s": [round(x, 3) for x in report_walls],
        "report_peak_rss_mb": round(max(report_rss), 1), "report_exit_codes": report_codes,
        "report_cpu_s": {"client": round(statistics.median(c for c, _ in report_cpu), 2),
                         "server": round(statistics.median(sv for _, sv in report_cpu), 2)},
        "psql_cpu_s": {"client": round(statistics.median(c for c, _ in psql_cpu), 2),
                       "server": round(statistics.median(sv for _, sv in psql_cpu), 2)},
        "psql_s": round(statistics.median(psql_walls), 3), "psql_runs_s": [round(x, 3) for x in psql_walls],
        "psql_server_s": round(statistics.median(sum(t) for t in per_file) / 1000, 3),
        "psql_collectors_ms": per_collector,
        "help_s": round(statistics.median(help_walls), 3), "help_runs_s": [round(x, 3) for x in help_walls],
    }


def verdict(m: dict, tables: int, cp: dict | None) -> dict:
    budget = TARGET_RATIO * m["psql_s"] + TARGET_OVERHEAD_S
    seconds, rss = size_targets(tables)
    v = {
        "report_budget_s": round(budget, 3),
        "report_target_s": seconds,
        "rss_target_mb": rss,
        "complete_ok": all(rc == 0 for rc in m["report_exit_codes"]),
        "overhead_ok": m["report_s"] <= budget,
        "report_ok": m["report_s"] < seconds,
        "memory_ok": m["report_peak_rss_mb"] < rss,
        "help_ok": m["help_s"] < TARGET_HELP_S,
    }
    if cp:
        v["beats_check_postgres_ok"] = m["report_s"] < cp["total_s"]
    return v


def print_table(built: dict, m: dict, v: dict, bd: dict, cp: dict | None, label: str) -> None:
    ok = {True: "ok", False: "MISSED"}
    print(f"\n== {label}: {built.get('tables')} tables, {built.get('indexes')} indexes, "
          f"{built.get('statements')} statements, {built.get('sequences')} sequences, "
          f"{built.get('foreign_keys')} foreign keys")
    print(f"{'measure':<36}{'value':>12}  {'target':<30}{'':>6}")
    rows = [
        ("dbxray report --format json", f"{m['report_s']:.2f} s", f"< {v['report_target_s']:.0f} s", v["report_ok"]),
        ("  exit codes", ",".join(map(str, m["report_exit_codes"])), "0 (complete)", v["complete_ok"]),
        ("  overhead beyond raw SQL", "", f"<= {v['report_budget_s']:.2f} s (1.3x psql + 1 s)", v["overhead_ok"]),
        ("collector SQL in psql (one session)", f"{m['psql_s']:.2f} s", "", None),
        ("  of which server time (\\timing)", f"{m['psql_server_s']:.2f} s", "", None),
        ("CPU: report (dbxray + server)", f"{m['report_cpu_s']['client']:.2f}+{m['report_cpu_s']['server']:.2f} s",
         "", None),
        ("CPU: psql (psql + server)", f"{m['psql_cpu_s']['client']:.2f}+{m['psql_cpu_s']['server']:.2f} s", "", None),
        ("peak RSS of dbxray report", f"{m['report_peak_rss_mb']:.0f} MB", f"< {v['rss_target_mb']:.0f} MB",
         v["memory_ok"]),
        ("dbxray --help", f"{m['help_s']:.3f} s", f"< {TARGET_HELP_S} s", v["help_ok"]),
    ]
    if cp:
        rows.append(("check_postgres, 5 actions", f"{cp['total_s']:.2f} s", "> the dbxray report",
                     v["beats_check_postgres_ok"]))
        rows += [(f"  {a}", f"{cp[a]['s']:.2f} s", cp[a]["status"], None) for a in CHECK_POSTGRES_ACTIONS]
    for name, value, target, good in rows:
        print(f"{name:<36}{value:>12}  {target:<30}{ok[good] if good is not None else '':>6}")
    print("\nin-process breakdown of one report:")
    print(f"  imports {bd['imports_s']:.2f} s, collect {bd['collect_s']:.2f} s (SQL {bd['collect_sql_s']:.2f} s, "
          f"Python {bd['collect_python_s']:.2f} s), checks+summary {bd['analyze_s']:.2f} s, "
          f"plans+index advice {bd['enrich_s']:.2f} s, json {bd['render_s']:.2f} s")
    print(f"  {'collector':<24}{'dbxray ms':>10}{'psql ms':>10}{'rows':>8}")
    for name, ms in sorted(bd["collectors_ms"].items(), key=lambda kv: -kv[1]):
        print(f"  {name:<24}{ms:>10.1f}{m['psql_collectors_ms'].get(name, float('nan')):>10.1f}"
              f"{bd['rows'].get(name, 0):>8}")
    slow_checks = sorted(bd["checks_ms"].items(), key=lambda kv: -kv[1])[:6]
    print("  slowest checks: " + ", ".join(f"{k} {v:.0f} ms" for k, v in slow_checks))
    print("  peak RSS after: " + ", ".join(f"{k} {v:.0f} MB" for k, v in bd["peak_rss_mb"].items()))


def count_catalog(dsn: str) -> dict:
    with psycopg.connect(dsn, autocommit=True) as conn:
        counts = conn.execute(
            "SELECT (SELECT count(*) FROM pg_stat_user_tables), (SELECT count(*) FROM pg_stat_user_indexes), "
            "(SELECT count(*) FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database "
            "WHERE datname = current_database())), (SELECT count(*) FROM pg_class WHERE relkind = 'S'), "
            "(SELECT count(*) FROM pg_constraint WHERE contype = 'f')").fetchone()
    return dict(zip(("tables", "indexes", "statements", "sequences", "foreign_keys"), counts))


def measure_all(dsn: str, psql: str, runs: int, built: dict, label: str, profile_to: str | None,
                compare: bool = True) -> dict:
    log(f"measuring ({label})")
    m = measure(dsn, psql, runs)
    cp = check_postgres(dsn, runs) if compare else None
    # a fresh process, so its peak RSS belongs to the report alone
    bd = json.loads(subprocess.run(clean_start([sys.executable, __file__, "--breakdown", dsn]),
                                   capture_output=True, text=True, check=True).stdout)
    v = verdict(m, int(built.get("tables") or 0), cp)
    print_table(built, m, v, bd, cp, label)
    out = {"label": label, "catalog": built, "measured": m, "check_postgres": cp, "verdict": v, "breakdown": bd}
    if profile_to:
        text = profile(dsn, RESULTS)
        Path(profile_to).write_text(text)
        print("\n" + "\n".join(text.splitlines()[:45]))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tables", type=int, nargs="+", default=[10000])
    ap.add_argument("--statements", type=int, default=5000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--stats", choices=("stale", "analysed", "both"), default="both",
                    help="measure with the catalog statistics left as created, after ANALYZE, or both in turn")
    ap.add_argument("--dsn", help="measure this already built database instead of building one")
    ap.add_argument("--keep", action="store_true", help="leave the throwaway server running")
    ap.add_argument("--profile", action="store_true", help="add a cProfile of one report run")
    ap.add_argument("--no-check-postgres", action="store_true", help="skip the check_postgres comparison")
    ap.add_argument("--breakdown", metavar="DSN", help=argparse.SUPPRESS)  # internal: one fresh-process breakdown
    args = ap.parse_args()
    if args.breakdown:
        print(json.dumps(breakdown(args.breakdown), default=str))
        return 0

    from dbxray.demo.sandbox import PostgresSandbox, find_postgres_bindir

    bindir = find_postgres_bindir()
    if bindir is None:
        sys.exit("bench: no PostgreSQL binaries (initdb/postgres/psql) found")
    psql = str(bindir / "psql")
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    modes = ("stale", "analysed") if args.stats == "both" else (args.stats,)
    results, verdicts = [], []
    for tables in ([None] if args.dsn else args.tables):
        sandbox = None
        try:
            if args.dsn:
                dsn, built = args.dsn, count_catalog(args.dsn)
            else:
                sandbox = PostgresSandbox(fast=True, settings={
                    "pg_stat_statements.max": "10000",
                    "max_locks_per_transaction": "1024",  # a batch of tables holds a lock per relation
                    "autovacuum": "off",  # the catalogs stay as stale as a bulk migration leaves them
                }).start()
                sandbox.psql(f"CREATE DATABASE {DB}")
                dsn = sandbox.dsn(DB)
                with psycopg.connect(dsn, autocommit=True) as conn:
                    conn.execute("CREATE EXTENSION pg_stat_statements")
                log(f"building {tables} tables on {dsn}")
                built = build(dsn, tables, args.statements)
                log(f"built in {built['build_s']} s + {built['statements_s']} s")
                # the build needed a big lock table; the report runs against the default one (a statement
                # that locks every sequence or table at once would fail on a stock server)
                with psycopg.connect(dsn, autocommit=True) as conn:
                    conn.execute("ALTER SYSTEM SET max_locks_per_transaction = 64")  # the default
                sandbox._run(str(sandbox.bindir / "pg_ctl"), "-D", str(sandbox.datadir), "-l",
                             str(sandbox.root / "server.log"), "-w", "-t", "120", "restart")
            with psycopg.connect(dsn) as conn:
                server_version = conn.info.server_version
            for mode in modes:
                if mode == "analysed":
                    log(f"analysing the system catalogs ({analyse_catalogs(dsn):.1f} s)")
                label = f"{built.get('tables')} tables, {mode} catalog statistics"
                prof = (str(RESULTS / f"postgres-{stamp}-{built.get('tables')}-{mode}-profile.txt")
                        if args.profile else None)
                res = measure_all(dsn, psql, args.runs, built, label, prof, compare=not args.no_check_postgres)
                res["server"] = server_version
                results.append(res)
                verdicts.append(res["verdict"])
            if sandbox and args.keep:
                print(f"server kept: {dsn}  (data in {sandbox.root})")
                sandbox = None
        finally:
            if sandbox:
                sandbox.stop()
    out = RESULTS / f"postgres-{stamp}.json"
    out.write_text(json.dumps({"when": dt.datetime.now(dt.UTC).isoformat(), "machine": {"cpus": os.cpu_count()},
                               "targets": {"ratio": TARGET_RATIO, "overhead_s": TARGET_OVERHEAD_S,
                                           "by_size": TARGETS_BY_SIZE, "help_s": TARGET_HELP_S},
                               "results": results}, indent=2, default=str))
    print(f"\nresults: {out}")
    return 0 if all(val for v in verdicts for key, val in v.items() if key.endswith("_ok")) else 1


if __name__ == "__main__":
    raise SystemExit(main())
