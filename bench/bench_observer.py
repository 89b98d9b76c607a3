"""Observer effect: how much throughput a workload loses while ``dbxray report`` runs back to back.

PostgreSQL: a throwaway cluster with a 10,000-table catalog (each table with a primary key) beside the
pgbench tables; ``pgbench -S -c 8`` TPS with ``dbxray report`` looping back to back on that database
(default pacing, ``dbxray.pacing``), with ``dbxray report --pace off`` looping, and with the established
``check_postgres --action bloat`` looping instead. MariaDB: a throwaway server with performance_schema on;
``sysbench oltp_read_only`` (8 threads, ``--db-ps-mode=disable``) with ``dbxray report`` looping (default,
then ``--pace off``). ``--modes`` picks among: ``process`` (a dbxray process per report, back to back, as
cron would start them), ``pace_off`` (the same with ``--pace off``), ``service`` (one ``dbxray report
--every 0`` process: back to back in one process, its first run let through before the window, its RSS
after each run recorded) and ``check_postgres``.

Each mode is measured in ``--pairs`` interleaved windows: alone, with, alone, with, …, alone. Each window
"with" is compared with the mean of the two windows alone around it, so the drift of a shared machine
(its throughput alone moves by 5-10 % from one minute to the next here) cancels; the figure is the median
of those losses, printed with every pair's. Run: ``.venv/bin/python bench/bench_observer.py``
(``--seconds 20``, ``--pairs 3``, ``--tables 10000``; ``--json FILE`` keeps the figures). Needs the
PostgreSQL and MariaDB server binaries, pgbench, sysbench and check_postgres (Debian: ``apt-get install
sysbench check-postgres``); a missing tool skips its part with a line saying so.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dbxray.demo.sandbox import PostgresSandbox  # noqa: E402

DBXRAY = str(Path(sys.executable).with_name("dbxray"))


class Looper:
    """Run a command back to back in a thread until stopped; count the runs and their exit codes."""

    def __init__(self, argv: list[str], env: dict | None = None):
        self.argv, self.env = argv, env
        self.stop = threading.Event()
        self.runs: list[tuple[int, float]] = []
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self.stop.is_set():
            t0 = time.monotonic()
            proc = subprocess.run(self.argv, capture_output=True, text=True, env=self.env, timeout=600)
            self.runs.append((proc.returncode, time.monotonic() - t0))

    def __enter__(self) -> Looper:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(700)


class Service:
    """``dbxray report --every 0`` as one process (a service, back to back). Its first run is let through
    before the window starts (a service pays its start once in its life, not once per window); then every
    run's exit code and seconds are counted, with the process's RSS after each; SIGTERM at the end."""

    RUN = re.compile(r"run (\d+) at \S+: exit (\d+).*\(([\d.]+) s\)")

    def __init__(self, argv: list[str]):
        self.out = Path(os.environ.get("TMPDIR", "/tmp")) / f"dbxray-bench-service-{os.getpid()}.json"
        self.argv = [*argv, "--every", "0", "-o", str(self.out)]
        self.runs: list[tuple[int, float]] = []
        self.rss_mb: list[float] = []
        self.first = threading.Event()

    def _read(self) -> None:
        for line in self.proc.stderr:
            m = self.RUN.search(line)
            if not m:
                continue
            self.rss_mb.append(_rss_mb(self.proc.pid))
            if self.first.is_set():
                self.runs.append((int(m.group(2)), float(m.group(3))))
            self.first.set()

    def __enter__(self) -> Service:
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        threading.Thread(target=self._read, daemon=True).start()
        if not self.first.wait(600):
            raise RuntimeError("dbxray --every: no first run in 600 s")
        self.runs.clear()
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(120)
        self.out.unlink(missing_ok=True)


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            return round(int(next(ln for ln in fh if ln.startswith("VmRSS:")).split()[1]) / 1024, 1)
    except (OSError, StopIteration, ValueError):
        return float("nan")


def dbxray_argv(dsn: str, pace: str | None = None) -> list[str]:
    argv = [DBXRAY, "report", "--format", "json", "--no-progress", "--allow-partial", "--dsn", dsn]
    return argv + (["--pace", pace] if pace else [])


def paired(res: dict, key: str, argv: list[str], measure, pairs: int, service: bool = False) -> None:
    """``argv`` looping back to back (a process per run, or one ``--every 0`` process when ``service``)
    during ``pairs`` windows, each between two windows alone: the loss of each window against the mean of
    its neighbours, and their median (``lost_pct_<key>``)."""
    alone = [measure()]
    losses, withs, runs, rss = [], [], [], []
    for _ in range(pairs):
        with Service(argv) if service else Looper(argv) as loop:
            withs.append(measure())
        runs.extend(loop.runs)
        rss.extend(getattr(loop, "rss_mb", []))
        alone.append(measure())
        base = (alone[-2] + alone[-1]) / 2
        losses.append(100 * (base - withs[-1]) / base)
    res.setdefault("alone", []).extend(alone)
    res[f"with_{key}"] = [round(w, 1) for w in withs]
    res[f"lost_pct_{key}_pairs"] = [round(x, 1) for x in losses]
    res[f"lost_pct_{key}"] = round(statistics.median(losses), 1)
    res[f"{key}_runs"] = len(runs)
    res[f"{key}_run_s"] = round(sum(t for _, t in runs) / max(len(runs), 1), 1)
    res[f"{key}_exit_codes"] = sorted({c for c, _ in runs})
    if rss:  # the service's RSS after each run: flat, or growing from run to run
        res[f"{key}_rss_mb"] = rss


def pgbench_tps(box: PostgresSandbox, db: str, seconds: int) -> float:
    pgbench = str(box.bindir / "pgbench") if (box.bindir / "pgbench").exists() else shutil.which("pgbench")
    out = subprocess.run([pgbench, "-S", "-c", "8", "-j", "2", "-T", str(seconds), "-n", "-h", "127.0.0.1",
                          "-p", str(box.port), "-U", "postgres", db], capture_output=True, text=True, check=True,
                         timeout=seconds + 120).stdout
    return float(re.search(r"tps = ([\d.]+)", out).group(1))


MODES = ("process", "pace_off", "service", "check_postgres")


def dbxray_modes(res: dict, dsn: str, measure, pairs: int, modes: tuple[str, ...]) -> None:
    """dbxray's modes chosen in ``modes``: a process per report (paced, unpaced), one service process."""
    if "process" in modes:
        paired(res, "dbxray", dbxray_argv(dsn), measure, pairs)
    if "pace_off" in modes:
        paired(res, "dbxray_pace_off", dbxray_argv(dsn, "off"), measure, pairs)
    if "service" in modes:
        paired(res, "dbxray_service", dbxray_argv(dsn), measure, pairs, service=True)


def bench_postgres(seconds: int, tables: int, pairs: int, modes: tuple[str, ...] = MODES) -> dict:
    with PostgresSandbox(fast=True, settings={"max_connections": "60"}) as box:
        box.psql("CREATE DATABASE bench")
        box.psql("CREATE EXTENSION pg_stat_statements")
        box.psql("CREATE EXTENSION pg_stat_statements", "bench")
        pgbench = str(box.bindir / "pgbench") if (box.bindir / "pgbench").exists() else shutil.which("pgbench")
        subprocess.run([pgbench, "-i", "-s", "10", "-q", "-h", "127.0.0.1", "-p", str(box.port), "-U", "postgres",
                        "bench"], capture_output=True, check=True, timeout=600)
        box.psql(f"""DO $$ BEGIN FOR i IN 1..{tables} LOOP
            EXECUTE format('CREATE TABLE IF NOT EXISTS catalog_%s (id int PRIMARY KEY, v text)', i);
            IF i % 500 = 0 THEN COMMIT; END IF;
            END LOOP; END $$""", "bench")
        box.psql("VACUUM ANALYZE", "bench")
        dsn = box.dsn("bench")
        res: dict = {"engine": "postgres", "tables": tables, "seconds": seconds, "pairs": pairs}
        measure = lambda: pgbench_tps(box, "bench", seconds)  # noqa: E731
        dbxray_modes(res, dsn, measure, pairs, modes)
        check_postgres = shutil.which("check_postgres") or shutil.which("check_postgres.pl")
        if "check_postgres" in modes and check_postgres:
            argv = [check_postgres, "--action", "bloat", "-H", "127.0.0.1", "-p", str(box.port), "-u", "postgres",
                    "-db", "bench"]
            paired(res, "check_postgres_bloat", argv, measure, pairs)
        elif "check_postgres" in modes:
            print("bench_observer: check_postgres not installed (apt-get install check-postgres): skipped",
                  file=sys.stderr)
    return res


def bench_mariadb(seconds: int, pairs: int, modes: tuple[str, ...] = MODES) -> dict:
    from tests.support.mariadb import MariaDBSandbox, find_mariadb_binaries

    if not find_mariadb_binaries() or not shutil.which("sysbench"):
        print("bench_observer: MariaDB binaries or sysbench missing: MariaDB part skipped", file=sys.stderr)
        return {}
    with MariaDBSandbox(performance_schema=True, settings={"innodb-buffer-pool-size": "256M",
                                                           "max-connections": "100"}) as box:
        with box.admin() as conn, conn.cursor() as cur:
            cur.execute("CREATE DATABASE sbtest")
        base = ["sysbench", "oltp_read_only", "--db-driver=mysql", "--mysql-host=127.0.0.1",
                f"--mysql-port={box.port}", "--mysql-user=root", "--mysql-db=sbtest", "--tables=4",
                "--table-size=20000", "--db-ps-mode=disable"]
        subprocess.run([*base, "prepare"], capture_output=True, check=True, timeout=600)

        def tps() -> float:
            out = subprocess.run([*base, "--threads=8", f"--time={seconds}", "run"], capture_output=True, text=True,
                                 check=True, timeout=seconds + 120).stdout
            return float(re.search(r"transactions:\s+\d+\s+\(([\d.]+) per sec", out).group(1))

        res: dict = {"engine": "mariadb", "seconds": seconds, "pairs": pairs}
        dsn = f"mysql://root@127.0.0.1:{box.port}/sbtest"
        dbxray_modes(res, dsn, tps, pairs, modes)
    return res


def summarize(res: dict) -> dict:
    alone = res.get("alone")
    if alone:
        base = sum(alone) / len(alone)
        res["alone_mean_tps"] = round(base, 1)
        res["alone_spread_pct"] = round(100 * (max(alone) - min(alone)) / base, 1)
        res["alone"] = [round(a, 1) for a in alone]
    return res


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("DBXRAY_BENCH_SECONDS", "20")))
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--tables", type=int, default=10000)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--only", choices=("postgres", "mariadb"))
    parser.add_argument("--modes", default=",".join(MODES),
                        help=f"comma-separated, of {', '.join(MODES)}: a dbxray process per report (default pacing, "
                             "or --pace off), one `report --every 0` process, check_postgres --action bloat")
    args = parser.parse_args()
    modes = tuple(m.strip() for m in args.modes.split(",") if m.strip())
    unknown = set(modes) - set(MODES)
    if unknown:
        parser.error(f"--modes: unknown {', '.join(sorted(unknown))}")
    results = []
    if args.only in (None, "postgres"):
        results.append(summarize(bench_postgres(args.seconds, args.tables, args.pairs, modes)))
        print(json.dumps(results[-1]), flush=True)
    if args.only in (None, "mariadb"):
        maria = bench_mariadb(args.seconds, args.pairs, modes)
        if maria:
            results.append(summarize(maria))
            print(json.dumps(results[-1]), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
