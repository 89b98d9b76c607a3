"""Pacing: a report that yields to a busy server.

A report's catalog reads are cheap per object, not free: on a 10,000-table catalog one report costs the
server about 4 s of CPU, and run back to back beside ``pgbench -S -c 8`` on a 2-core machine it took a third
of the benchmark's throughput (``bench/bench_observer.py``). When the server is busy (at least
``busy_sessions`` other sessions at work: running a statement not blocked on a lock, or one in the last
100 ms; on MySQL ``Threads_running``), the report pauses after each collector, after the checks and after
the live analysis for ``(1 - share) / share`` times as long as that step took, and, in the dbxray command,
once at the start for the time its own start took (interpreter and imports: on a shared host this costs
the server more than a small server's whole report): dbxray then keeps its connection busy
at most ``share`` of the time and the application gets the rest; the dbxray process also lowers its own
CPU priority (nice 10), for when it runs on the server's host. An idle server is read at full speed, and
``pace = "off"`` (``--pace off``) never pauses. What was paced is said in the report.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, field
from typing import Any

from dbxray.errors import BadInput

DEFAULT_SHARE = 0.1  # bench/bench_observer.py: pgbench lost 27 % unpaced, 8-16 % at 0.2 (2 cores, noisy)
# "auto" for a scheduled report (``--every``): nobody waits on it, and it runs for the server's whole life.
# bench/bench_observer.py, one --every 0 process beside sysbench on MariaDB: 0.1 cost the workload 12 %
# (its catalog reads hold server-wide mutexes: the loss is above the time share), 0.03 nothing measurable
# (-1.0 %); beside pgbench on a 10,000-table catalog 0.03 cost 1.4 % (a report then takes 400 s)
SCHEDULED_SHARE = 0.03
BUSY_SESSIONS = 4  # other sessions at work that make the server "busy"
MIN_PACED_S = 0.005  # collectors shorter than this are not worth a pause (nor a probe)
PROBE_EVERY_S = 1.0  # the busy probe is one cheap query, run at most this often
NICE = 10  # the CLI's own CPU priority once the server is found busy (it may share the server's host)
# set by the CLI's entry point only: a library caller's process (a test runner, an application) keeps its
# priority; the dbxray process lowers its own when it paces, so on a shared host its Python work yields too
LOWER_PRIORITY_WHEN_BUSY = False
# set by the CLI's entry point too: the process's own start (interpreter and imports) counts as a step of the
# report, paced like the others when the server is busy. Measured in wall time: beside sysbench on 2 cores,
# a process importing pandas every 9 s cost the workload 8 % of its throughput for 2 % of the CPU (page
# faults, caches, preempted lock holders), and wall time under contention grows with what the start took
# from the others where CPU time does not
PACE_PROCESS_START = False
_start_paced = False  # once per process (``report --all`` and ``--every`` run several reports in one)
_reniced = False  # once per process too: nice is cumulative, a second os.nice(10) would reach 19


def parse_pace(value: Any) -> float | None:
    """``"auto"`` -> the default share, ``"off"`` -> None, a number in (0, 1] -> that share."""
    if value is None or value == "auto":
        return DEFAULT_SHARE
    if value in ("off", False):
        return None
    try:
        share = float(value)
    except (TypeError, ValueError):
        raise BadInput(f"pace: {value!r} is not 'auto', 'off' or a share between 0 and 1") from None
    if not 0 < share <= 1:
        raise BadInput(f"pace: {value!r} is not 'auto', 'off' or a share between 0 and 1")
    return None if share == 1 else share


@dataclass
class Pacer:
    """Pauses the collection while the server is busy; records what it did for the report."""

    share: float | None = DEFAULT_SHARE
    busy_sessions: int = BUSY_SESSIONS
    slept_s: float = 0.0
    paced: int = 0
    busiest: int = 0
    _probed_at: float = field(default=-1e9, repr=False)
    _busy: int | None = field(default=None, repr=False)

    def start(self, session: Any, engine: Any) -> None:
        """Called before the first collector: a busy server is known before any work is done, so the
        process yields (its CPU priority) from the start."""
        if self.share is not None and self._is_busy(session, engine):
            self._yield_cpu()
            if PACE_PROCESS_START:
                self._pause(self._process_start_s())

    def after(self, session: Any, engine: Any, elapsed_s: float) -> None:
        """Called after each collector, and after the checks and the live analysis, with the seconds it
        took."""
        if self.share is None or elapsed_s < MIN_PACED_S or not self._is_busy(session, engine):
            return
        self._yield_cpu()
        self._pause(elapsed_s)

    def _pause(self, elapsed_s: float) -> None:
        if elapsed_s <= 0:
            return
        pause = elapsed_s * (1 - self.share) / self.share
        time.sleep(pause)
        self.slept_s += pause
        self.paced += 1

    @staticmethod
    def _process_start_s() -> float:
        """Seconds since this process started (``/proc``; its CPU time where that is not readable), the
        first time it is asked; 0 afterwards."""
        global _start_paced
        if _start_paced:
            return 0.0
        _start_paced = True
        try:
            with open("/proc/self/stat", encoding="ascii") as stat, open("/proc/uptime", encoding="ascii") as up:
                started = int(stat.read().rsplit(")", 1)[1].split()[19]) / os.sysconf("SC_CLK_TCK")
                return max(float(up.read().split()[0]) - started, 0.0)
        except (OSError, ValueError, IndexError):
            return time.process_time()

    def _is_busy(self, session: Any, engine: Any) -> bool:
        busy = self._probe(session, engine)
        return busy is not None and busy >= self.busy_sessions

    @staticmethod
    def _yield_cpu() -> None:
        global _reniced
        if LOWER_PRIORITY_WHEN_BUSY and not _reniced:
            _reniced = True
            with contextlib.suppress(OSError):
                os.nice(NICE)

    def _probe(self, session: Any, engine: Any) -> int | None:
        now = time.monotonic()
        if now - self._probed_at >= PROBE_EVERY_S:
            self._probed_at = now
            try:
                self._busy = engine.busy_sessions(session)
            except Exception:  # a probe that fails never stops the report: no pacing then
                self._busy = None
            if self._busy is not None:
                self.busiest = max(self.busiest, self._busy)
        return self._busy

    def summary(self) -> dict[str, Any] | None:
        """What goes into the snapshot's meta (``pacing``) when the collection paused, else None."""
        if not self.paced:
            return None
        return {"share": self.share, "paused_s": round(self.slept_s, 2), "pauses": self.paced,
                "busy_sessions": self.busiest, "busy_threshold": self.busy_sessions}
