"""``report --every``: one long-running dbxray process that reports on a schedule.

Why a process and not cron: each cron run starts an interpreter and imports pandas, numpy and the
drivers beside the server it inspects. On a 2-core host running a saturated MariaDB, a process that only
imported pandas every 9 s cost ``sysbench`` 8 % of its throughput for 2 % of the CPU
(``bench/bench_observer.py``); a process that stays up pays that once. It is also what a systemd service
or a Kubernetes Deployment expects: a foreground process that logs a line per run and stops on SIGTERM.

A run that fails (the server restarting, a lost connection, a crash of dbxray itself) is one line on
stderr and the schedule goes on; a mistake the user made (bad input on the very first run) stops it at
once, as a single report would. The exit code, when ``--count`` ends the schedule, is the highest of the
runs'.
"""

from __future__ import annotations

import gc
import os
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from dbxray.errors import EXIT_INTERNAL, BadInput, ConnectionFailed, DbxrayError

_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d)?\s*$", re.IGNORECASE)


def parse_interval(text: str) -> float:
    """``"30s"``, ``"5m"``, ``"1h"``, ``"1d"`` or plain seconds -> seconds; ``"0"`` is back to back."""
    match = _INTERVAL.match(str(text))
    if not match:
        raise BadInput(f"--every: {text!r} is not an interval (30s, 5m, 1h, 1d, or seconds; 0 = back to back)")
    return float(match.group(1)) * _UNITS[(match.group(2) or "").lower()]


@dataclass
class Outcome:
    """What one run ended with: its exit code and the short line a service log gets."""

    code: int
    line: str = ""


RunFn = Callable[[int], Outcome]


def repeat(run: RunFn, every_s: float, count: int | None = None,
           clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> int:
    """Call ``run(n)`` now and then every ``every_s`` seconds (start to start; a run longer than that is
    followed at once by the next, never by a burst of catch-up runs), ``count`` times or until
    interrupted. Returns the highest exit code of the runs."""
    worst = 0
    n = 0
    while count is None or n < count:
        n += 1
        started, stamp = clock(), time.strftime("%H:%M:%S")
        outcome = _guarded(run, n)
        worst = max(worst, outcome.code)
        took = clock() - started
        last = count is not None and n >= count
        _log(n, stamp, outcome, took, None if last else max(every_s - took, 0.0))
        if last:
            break
        gc.collect()  # the run's report is garbage now; the CLI's raised thresholds would keep it for a while
        wait = every_s - (clock() - started)
        if wait > 0:
            sleep(wait)
    return worst


def _guarded(run: RunFn, n: int) -> Outcome:
    """One run; its failure becomes its outcome, except a mistake on the first run (it would repeat)."""
    from dbxray.connect import one_line

    try:
        return run(n)
    except DbxrayError as exc:  # a server down or restarting, a store unreachable: the next run may do
        if n == 1 and not isinstance(exc, ConnectionFailed):  # a mistake, not an outage
            raise
        return Outcome(exc.exit_code, f"error: {one_line(str(exc))}")
    except Exception as exc:  # an interrupt is not an Exception: it ends the schedule
        if os.environ.get("DBXRAY_DEBUG"):
            raise
        return Outcome(EXIT_INTERNAL, f"internal error: {exc.__class__.__name__}: {one_line(str(exc))}")


def _log(n: int, stamp: str, outcome: Outcome, took: float, next_in: float | None) -> None:
    """``dbxray: run 3 at 12:00:05: exit 0, 1 critical, 4 warning, 9 info (6.1 s); next in 294 s``."""
    line = f"run {n} at {stamp}: exit {outcome.code}"
    if outcome.line:
        line += f", {outcome.line}"
    line += f" ({took:.1f} s)"
    if next_in is not None:
        line += f"; next in {next_in:.{1 if next_in < 10 else 0}f} s" if next_in >= 0.05 else "; next now"
    sys.stderr.write(f"dbxray: {line}\n")
    sys.stderr.flush()
