"""Interval views of the database- and table-level counters, for the checks that speak in rates.

``summary.interval_snapshot`` diffs the statement counters; this adds the other cumulative counters the
transaction-pattern, caching and schema-design checks turn into rates (rollbacks, deadlocks, row-lock
waits, block reads, writes per table), each under its own frame so checks that read the cumulative
frames see exactly what they saw before:

- PostgreSQL ``xact_stats`` (one row per database) is replaced by its delta, with ``stats_age_s`` the
  interval's length (it is only read by the checks that want the interval);
- ``tables_interval`` / ``indexes_interval``: the ``tables`` / ``indexes`` counters over the interval
  (PostgreSQL);
- ``status_interval``: MySQL/MariaDB global status with the cumulative counters diffed and the gauges
  (current waits, pages free, maxima) as they are now, ``uptime`` the interval's length;
- ``index_usage_interval`` / ``table_io_interval``: performance_schema I/O per index / per table over the
  interval (MySQL/MariaDB).

:func:`counters` answers the checks: the frame to read, the seconds it covers and a sentence saying
which (``since the statistics reset`` or ``over the interval since the baseline``).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

XACT_COUNTERS = ["xact_commit", "xact_rollback", "deadlocks", "conflicts", "blks_read", "blks_hit", "blk_read_ms",
                 "session_ms", "active_ms", "idle_in_transaction_ms", "sessions", "sessions_abandoned",
                 "sessions_fatal", "sessions_killed"]
INTERVAL_VIEWS = ("tables", "indexes", "status", "index_usage", "table_io")
TABLE_IO_COUNTERS = ["fetches", "inserts", "updates", "deletes", "wait_ms"]
INDEX_USAGE_KEY = ["schema", "table", "index"]
INDEX_USAGE_COUNTERS = ["io_count", "reads", "fetches", "inserts", "updates", "deletes", "wait_ms"]
# MySQL/MariaDB status variables that are levels or maxima, not counters: never diffed
STATUS_GAUGES = {
    "innodb_row_lock_current_waits", "innodb_row_lock_time_avg", "innodb_row_lock_time_max",
    "innodb_buffer_pool_pages_data", "innodb_buffer_pool_pages_free", "innodb_buffer_pool_pages_total",
    "innodb_buffer_pool_pages_dirty", "innodb_buffer_pool_pages_misc", "innodb_buffer_pool_bytes_data",
    "innodb_buffer_pool_bytes_dirty", "innodb_history_list_length", "threads_connected", "threads_running",
    "threads_cached", "open_tables", "open_files", "max_used_connections", "innodb_page_size",
}


def add_interval_frames(frames: dict[str, pd.DataFrame], new: Any, old: Any, seconds: float) -> None:
    """Put the interval views of ``new - old`` into ``frames`` (the interval snapshot's frames)."""
    from dbxray.report.summary import INDEX_COUNTERS, INDEX_KEY, TABLE_COUNTERS, TABLE_KEY, delta

    if new.has("xact_stats"):
        frames["xact_stats"] = _one_row_delta(new["xact_stats"], old["xact_stats"], XACT_COUNTERS, seconds)
    if new.has("tables") and old.has("tables") and not new["tables"].empty:
        frames["tables_interval"] = delta(new["tables"], old["tables"], TABLE_KEY, TABLE_COUNTERS)
    if new.has("indexes") and old.has("indexes") and not new["indexes"].empty:
        frames["indexes_interval"] = delta(new["indexes"], old["indexes"], INDEX_KEY, INDEX_COUNTERS)
    if new.has("table_io") and old.has("table_io") and not new["table_io"].empty:
        frames["table_io_interval"] = delta(new["table_io"], old["table_io"], ["schema", "table"], TABLE_IO_COUNTERS)
    if new.has("status") and old.has("status"):
        frames["status_interval"] = _status_delta(new["status"], old["status"], seconds)
    if new.has("index_usage") and old.has("index_usage") and not new["index_usage"].empty:
        frames["index_usage_interval"] = delta(new["index_usage"], old["index_usage"], INDEX_USAGE_KEY,
                                               INDEX_USAGE_COUNTERS)


def _one_row_delta(new: pd.DataFrame, old: pd.DataFrame, counters: list[str], seconds: float) -> pd.DataFrame:
    if new is None or new.empty:
        return new
    out = new.copy()
    if old is None or old.empty:
        return out
    before = old.iloc[0]
    for col in counters:
        if col not in out or col not in old:
            continue
        now_v = pd.to_numeric(out[col], errors="coerce")
        then_v = pd.to_numeric(pd.Series([before[col]]), errors="coerce").iloc[0]
        if pd.isna(then_v):
            continue
        diff = now_v - then_v
        out[col] = diff.where(diff >= 0, now_v)  # a reset in between: the new value is the best we have
    reset_between = ("stats_reset" in out and "stats_reset" in old
                     and str(out["stats_reset"].iloc[0]) != str(old["stats_reset"].iloc[0]))
    if "stats_age_s" in out:
        age = float(pd.to_numeric(out["stats_age_s"], errors="coerce").iloc[0] or 0)
        out["stats_age_s"] = min(age, seconds) if reset_between else seconds
    out["interval"] = True
    return out


def _status_delta(new: pd.DataFrame, old: pd.DataFrame, seconds: float) -> pd.DataFrame:
    if new is None or new.empty:
        return new
    before = {str(n).lower(): v for n, v in zip(old["name"], old["value"])} if old is not None and not old.empty \
        else {}
    rows = []
    now_uptime = _num(dict(zip(new["name"], new["value"])).get("uptime"))
    restarted = now_uptime is not None and now_uptime < seconds  # the server restarted within the interval
    for name, value in zip(new["name"], new["value"]):
        key = str(name).lower()
        v, b = _num(value), _num(before.get(key))
        if key == "uptime":
            rows.append((name, str(min(now_uptime, seconds) if restarted and now_uptime is not None else seconds)))
        elif v is None or b is None or key in STATUS_GAUGES or restarted or v < b:
            rows.append((name, value))
        else:
            rows.append((name, repr(v - b) if isinstance(v - b, float) and not float(v - b).is_integer()
                         else str(int(v - b))))
    return pd.DataFrame(rows, columns=["name", "value"])


def _num(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def counters(snap: Any, name: str) -> tuple[pd.DataFrame, str]:
    """(the frame of ``name`` to read rates from, which basis it is): the interval view when the snapshot
    is an interval (``--baseline`` / history), else the cumulative frame (since the statistics reset or
    the server start)."""
    interval = snap.meta.get("interval")
    if interval and name in INTERVAL_VIEWS and snap.has(f"{name}_interval"):
        return snap[f"{name}_interval"], "interval since the baseline"
    frame = snap[name]
    if interval and name == "xact_stats" and not frame.empty and "interval" in frame:
        return frame, "interval since the baseline"
    return frame, ("since the server started" if name in ("status", "index_usage", "table_io")
                   else "since the statistics reset")


def window(snap: Any, name: str, fallback_seconds: float | None) -> tuple[pd.DataFrame, float | None, str]:
    """(frame, seconds it covers, basis): the interval's length with a baseline, else ``fallback_seconds``
    (the statistics' age, or the server's uptime)."""
    frame, basis = counters(snap, name)
    interval = snap.meta.get("interval")
    if interval and basis.startswith("interval"):
        return frame, float(interval.get("seconds") or 0) or fallback_seconds, basis
    return frame, fallback_seconds, basis
