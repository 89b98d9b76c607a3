"""Turn raw counters into what matters: top statements, shares, per-call figures, deltas.

Cumulative counters (``pg_stat_statements``, ``performance_schema`` digests, table stats)
only mean something over an interval: ``delta`` subtracts an older snapshot so the report
speaks about the workload between the two, without anyone resetting statistics.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

STATEMENT_KEY = ["queryid", "role", "toplevel"]
STATEMENT_COUNTERS = [
    "calls", "total_exec_ms", "plans", "total_plan_ms", "rows", "shared_blks_hit", "shared_blks_read",
    "shared_blks_dirtied", "shared_blks_written", "temp_blks_read", "temp_blks_written", "blk_read_ms",
    "blk_write_ms", "wal_bytes", "jit_ms",
    # MySQL / MariaDB digests
    "rows_examined", "rows_sent", "rows_affected", "no_index_used", "no_good_index_used",
    "tmp_disk_tables", "tmp_tables", "sort_merge_passes", "errors", "warnings", "lock_ms",
]
TABLE_KEY = ["schema", "table"]
TABLE_COUNTERS = [
    "seq_scan", "seq_tup_read", "idx_scan", "idx_tup_fetch", "n_tup_ins", "n_tup_upd", "n_tup_del",
    "n_tup_hot_upd", "heap_blks_read", "heap_blks_hit", "idx_blks_read", "idx_blks_hit",
]
INDEX_KEY = ["schema", "table", "index"]
INDEX_COUNTERS = ["idx_scan", "idx_tup_read", "idx_tup_fetch", "idx_blks_read", "idx_blks_hit"]


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    den = den.astype("float64")
    return (num.astype("float64") / den.where(den != 0)).astype("float64")


def statements(df: pd.DataFrame) -> pd.DataFrame:
    """Statements ranked by total time (plan + exec) with share, per-call cost and hit ratio."""
    if df is None or df.empty:
        return pd.DataFrame(columns=["queryid", "query", "calls", "total_ms", "share_pct", "mean_ms",
                                     "max_ms", "rows_per_call", "hit_ratio", "temp_blks"])
    out = df.copy()
    plan = out["total_plan_ms"].fillna(0) if "total_plan_ms" in out else 0.0
    out["total_ms"] = out["total_exec_ms"].fillna(0) + plan
    total = out["total_ms"].sum()
    out["share_pct"] = 100.0 * out["total_ms"] / total if total > 0 else 0.0
    out["mean_ms"] = _ratio(out["total_ms"], out["calls"])
    if "max_exec_ms" in out:
        out["max_ms"] = out["max_exec_ms"]
    out["rows_per_call"] = _ratio(out["rows"] if "rows" in out else out.get("rows_sent"), out["calls"])
    if "shared_blks_hit" in out:
        out["hit_ratio"] = _ratio(out["shared_blks_hit"], out["shared_blks_hit"] + out["shared_blks_read"])
        out["temp_blks"] = out["temp_blks_read"].fillna(0) + out["temp_blks_written"].fillna(0)
    return out.sort_values("total_ms", ascending=False, kind="stable").reset_index(drop=True)


def tables(df: pd.DataFrame) -> pd.DataFrame:
    """Tables by size, with scan mix, churn (writes) and cache hit ratio."""
    if df is None or df.empty:
        return pd.DataFrame()
    out = df.copy()
    out["total_bytes"] = out.get("total_bytes", pd.Series(0, index=out.index)).fillna(0)
    out["writes"] = out[["n_tup_ins", "n_tup_upd", "n_tup_del"]].sum(axis=1) if "n_tup_ins" in out else 0
    if "seq_scan" in out:
        out["seq_scan_pct"] = 100.0 * _ratio(out["seq_scan"], out["seq_scan"] + out["idx_scan"])
    if "heap_blks_hit" in out:
        out["hit_ratio"] = _ratio(out["heap_blks_hit"], out["heap_blks_hit"] + out["heap_blks_read"])
    return out.sort_values("total_bytes", ascending=False, kind="stable").reset_index(drop=True)


def delta(new: pd.DataFrame, old: pd.DataFrame, key: list[str], counters: list[str]) -> pd.DataFrame:
    """``new - old`` for cumulative counters, matched on ``key``.

    Rows only in ``new`` keep their full counters (they appeared during the interval); a
    counter that went backwards means a reset, and the new value is the best we have.
    Rows whose counters did not move are dropped: nothing happened to them in the interval.
    """
    if new is None or new.empty:
        return new
    if old is None or old.empty:
        return new.copy()
    key = [k for k in key if k in new.columns and k in old.columns]
    counters = [c for c in counters if c in new.columns and c in old.columns]
    merged = new.merge(old[key + counters], on=key, how="left", suffixes=("", "__old"))
    for col in counters:
        before = merged[f"{col}__old"]
        diff = merged[col] - before.fillna(0)
        merged[col] = np.where(before.notna() & (diff < 0), merged[col], diff)
    merged = merged.drop(columns=[f"{c}__old" for c in counters])
    if "calls" in counters:
        merged = merged[merged["calls"] > 0]
        if "total_exec_ms" in merged and "mean_exec_ms" in merged:
            merged["mean_exec_ms"] = merged["total_exec_ms"] / merged["calls"]
    return merged.reset_index(drop=True)


def overview(snap: Any) -> dict[str, Any]:
    """Database-level figures for the report header (cache hit, temp files, deadlocks, stats age)."""
    db = snap["database"]
    if db.empty:
        return {}
    row = db.iloc[0]
    hits, reads = float(row.get("blks_hit", 0) or 0), float(row.get("blks_read", 0) or 0)
    return {
        "size_bytes": row.get("size_bytes"),
        "cache_hit_ratio": round(hits / (hits + reads), 4) if hits + reads else None,
        "temp_files": row.get("temp_files"),
        "temp_bytes": row.get("temp_bytes"),
        "deadlocks": row.get("deadlocks"),
        "xact_commit": row.get("xact_commit"),
        "xact_rollback": row.get("xact_rollback"),
        "stats_reset": row.get("stats_reset"),
        "stats_age_days": round(float(row["stats_age_s"]) / 86400, 2) if pd.notna(row.get("stats_age_s")) else None,
        "connections": row.get("client_connections"),
        "max_connections": row.get("max_connections"),
    }


def interval_snapshot(new: Any, old: Any) -> Any:
    """A copy of ``new`` whose cumulative statement counters cover only the time since ``old``."""
    from dbxray.errors import BadInput
    from dbxray.snapshot import Snapshot

    if (new.engine, new.database, new.host) != (old.engine, old.database, old.host):
        raise BadInput(f"baseline is from {old.engine} {old.host}/{old.database}, "
                       f"not {new.engine} {new.host}/{new.database}")
    if old.collected_at >= new.collected_at:
        raise BadInput("baseline snapshot is not older than the current one")
    from dbxray import engine

    frames = dict(new.frames)
    reset = engine.of(new).counters_reset(new, old)
    if new.has("statements") and not reset:  # a snapshot without statement statistics stays without them
        frames["statements"] = delta(new["statements"], old["statements"], STATEMENT_KEY, STATEMENT_COUNTERS)
    seconds = (new.collected_at - old.collected_at).total_seconds()
    if not reset:  # database/table/status counters over the interval too (report.interval_frames)
        from dbxray.report.interval_frames import add_interval_frames

        add_interval_frames(frames, new, old, seconds)
    interval = {"from": old.collected_at.isoformat(), "to": new.collected_at.isoformat(), "seconds": round(seconds, 1)}
    if reset:  # the counters restarted from zero: what they hold is the interval since then, never negative
        interval["reset"] = reset
    out = Snapshot(new.engine, new.server_version, new.version_num, new.database, new.host,
                   new.collected_at, frames, new.collectors, {**new.meta, "interval": interval}, new.duration_ms)
    out.previous = old
    return out
