"""PostgreSQL's engine-neutral views (``checks.frames``) for the shared checks, and its wording.

pg_stat_statements feeds the statements view, pg_stat_activity the sessions (client backends
only), ``pg_blocking_pids`` and pg_locks the lock waits, pg_stat_user_indexes the index usage
(since the statistics were reset) and pg_sequences the sequences, each limited by the type of
the column it feeds.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

import numpy as np

from dbxray.checks.frames import Connections, NoFrames, Text
from dbxray.checks.helpers import column
from dbxray.engines.postgres.checks.helpers import (
    TYPE_MAX,
    as_list,
    client_sessions,
    drop_index_sql,
    explain_hint,
    human_bytes,
    human_seconds,
    memo,
    pg_indexes,
    qualified,
    records,
    short_query,
    stats_age,
)
from dbxray.engines.postgres.quoting import pg_ident


class PostgresFrames(NoFrames):
    # -- statements ----------------------------------------------------------------------------------
    def statements(self, snap: Any) -> tuple[Any, str | None]:
        from dbxray.report import summary as summ

        raw = snap["statements"]
        return memo(raw, "ranked", lambda: summ.statements(raw)), "pg_stat_statements"

    def statement_object(self, row: dict[str, Any]) -> dict[str, Any]:
        return {"query_id": row["queryid"]}

    def statement_evidence(self, row: dict[str, Any], source: str | None) -> dict[str, Any]:
        calls = row.get("calls") or 0
        return {"hit_ratio": row.get("hit_ratio"),
                "mean_plan_ms": round((row.get("total_plan_ms") or 0) / calls, 3) if calls else None,
                "role": row.get("role")}

    def explain_hint(self, row: dict[str, Any]) -> str:
        return explain_hint(row["queryid"])

    def single_row_lookup(self, snap: Any, row: dict[str, Any]) -> tuple[str, tuple[str, ...]] | None:
        return _single_row_lookup(str(row.get("query") or ""))

    def n_plus_one_text(self, row: dict[str, Any], facts: dict[str, Any]) -> Text:
        calls, table, cols, parent = int(facts["calls"]), facts["table"], facts["columns"], facts["parent"]
        evidence = {"calls": calls, "share_of_calls_pct": round(facts["share_pct"], 1),
                    "rows_per_call": row.get("rows_per_call"), "mean_ms": round(row.get("mean_ms") or 0, 3),
                    "total_ms": round(row.get("total_ms") or 0, 1), "lookup": f"{table}({', '.join(cols)})",
                    "query": short_query(row.get("query"), 300)}
        advice = (f"{calls:,} separate lookups of {table} by {', '.join(cols)}. Load them in one statement "
                  f"(`WHERE {cols[0]} = ANY($1)` with an array of keys, or a JOIN from the statement that lists "
                  "them), or turn on eager loading in the ORM.")
        if parent:
            evidence["parent_query_id"] = str(parent["queryid"])
            evidence["parent_rows"] = int(parent.get("rows") or 0)
            evidence["parent_query"] = short_query(parent.get("query"), 200)
            advice += f" Likely driven by statement {parent['queryid']}, which returned about one row per lookup."
        return Text(title=f"N+1 pattern: {calls:,} single-row lookups of {table}",
                    object={"query_id": row["queryid"], "table": table, "columns": list(cols)},
                    evidence=evidence, recommendation=advice)

    # -- sessions --------------------------------------------------------------------------------------
    session_noun = "pid"

    def sessions(self, snap: Any) -> list[dict[str, Any]]:
        frame = snap["activity"]
        return memo(frame, "sessions", lambda: [
            {"pid": r["pid"], "user": r.get("role"), "database": r.get("database"), "state": r.get("state"),
             "query": r.get("query"), "query_s": r.get("query_age_s"), "raw": r}
            for r in client_sessions(snap)])

    def cancel_sql(self, pid: int) -> str:
        return f"SELECT pg_cancel_backend({pid});\n-- if that is not enough: SELECT pg_terminate_backend({pid});"

    def terminate_sql(self, pid: int) -> str:
        return f"SELECT pg_terminate_backend({pid});"

    def long_query_evidence(self, session: dict[str, Any]) -> dict[str, Any]:
        r = session["raw"]
        return {"xact_age_s": r.get("xact_age_s"),
                "wait_event": f"{r.get('wait_event_type')}:{r.get('wait_event')}" if r.get("wait_event") else None,
                "application": r.get("application_name"), "client": r.get("client_addr"),
                "xmin_age": r.get("xmin_age")}

    def long_query_advice(self, snap: Any) -> str:
        return ("If it should not run this long, cancel it (pg_cancel_backend; pg_terminate_backend if cancel is "
                "ignored) and set a statement_timeout for its role. Then explain it.")

    connection_noun = "available connections"
    connection_advice = ("Pool connections (PgBouncer in transaction mode) and reduce application pool sizes; idle "
                         "sessions still cost memory. Raise max_connections only with the pooler in place.")

    def connections(self, snap: Any) -> Connections | None:
        db = snap["database"]
        if db.empty:
            return None
        row = db.iloc[0]
        reserved = int(row.get("reserved_connections") or 0)
        limit = int(row["max_connections"]) - reserved
        used = int(row.get("client_connections") or 0) + 1  # dbxray's own session counts against the limit too
        return Connections(used, limit, {"max_connections": int(row["max_connections"]), "reserved": reserved})

    def connection_evidence(self, snap: Any, use: Connections) -> dict[str, Any]:
        states: dict[str, int] = {}
        for r in client_sessions(snap):
            states[str(r.get("state"))] = states.get(str(r.get("state")), 0) + 1
        return {"connections": use.used, **use.raw, "by_state": states}

    # -- lock waits -----------------------------------------------------------------------------------
    def lock_waits(self, snap: Any) -> list[dict[str, Any]]:
        """One row per (waiter, blocker) from ``pg_blocking_pids``; the wait itself from pg_locks."""
        waits = {int(r["pid"]): r for r in records(snap["locks"])}
        out = []
        for r in records(snap["activity"]):
            blockers = as_list(r.get("blocked_by"))
            if not blockers:
                continue
            pid = int(r["pid"])
            w = waits.get(pid, {})
            wait = w.get("wait_s") if w.get("wait_s") is not None else r.get("state_age_s")
            relation = w.get("relation") or next(iter(as_list(w.get("held_relations"))), None)
            detail = {"pid": pid, "waiting_s": round(wait or 0, 1), "mode": w.get("mode"),
                      "locktype": w.get("locktype"), "relation": relation, "query": short_query(r.get("query"), 160)}
            out.extend({"waiting_pid": pid, "blocking_pid": int(p), "wait_s": wait or 0.0, "detail": detail}
                       for p in blockers)
        return out

    def blocker_text(self, snap: Any, root: int, waits: list[dict[str, Any]], longest: float) -> Text:
        details = [w["detail"] for w in waits]
        blocker = next((r for r in records(snap["activity"]) if int(r["pid"]) == root), {})
        relations = sorted({d["relation"] for d in details if d.get("relation")})
        what = f" on {', '.join(relations)}" if relations else ""
        return Text(
            title=f"pid {root} blocks {len(details)} session(s){what}, longest wait {human_seconds(longest)}",
            object={"pid": root, "role": blocker.get("role"), "relation": relations[0] if relations else None,
                    "database": blocker.get("database")},
            evidence={"blocker_state": blocker.get("state"), "blocker_xact_age_s": blocker.get("xact_age_s"),
                      "blocker_query": short_query(blocker.get("query"), 300), "blocked": details,
                      "longest_wait_s": round(longest, 1)},
            recommendation=(f"The root blocker, pid {root}, is {blocker.get('state') or 'unknown'}: finish its "
                            "transaction (commit or roll back in the application) or terminate it. Keep "
                            "transactions short and take row locks in a consistent order."),
            sql=f"{self.terminate_sql(root)}  -- ends its transaction; everything it did is rolled back",
        )

    # -- index usage ----------------------------------------------------------------------------------
    def stats_age(self, snap: Any) -> float | None:
        return stats_age(snap)[0]

    def unused_indexes(self, snap: Any) -> Iterable[dict[str, Any]]:
        """Valid indexes whose ``idx_scan`` is 0 (invalid ones are invalid_index's business). Column-wise
        and one row at a time: a 30,000-index catalog costs no Python call per index and no list."""
        frame = snap["indexes"]
        if frame.empty:
            return []
        rows = pg_indexes(snap)
        scans = frame["idx_scan"].fillna(0).to_numpy() if "idx_scan" in frame else 0
        unused = (scans == 0) & _flag(frame, "is_valid")
        enforces = _flag(frame, "is_primary") | _flag(frame, "is_unique") | _flag(frame, "is_exclusion") \
            | _flag(frame, "constraint_name") | _flag(frame, "is_replica_identity")  # what backs_constraint() asks
        schema, table, index = (frame[c].tolist() for c in ("schema", "table", "index"))
        size = column(frame, "index_bytes") if "index_bytes" in frame else [None] * len(frame)
        enforces = enforces.tolist()
        return ({"schema": schema[i], "table": table[i], "index": index[i], "size_bytes": size[i] or 0,
                 "enforces": enforces[i], "raw": rows[i]} for i in np.flatnonzero(unused).tolist())

    def index_foreign_keys(self, snap: Any, ix: dict[str, Any]) -> list[str]:
        """Foreign keys of the index's table whose columns are the index's leading columns."""
        names = []
        for fk in records(snap["foreign_keys"]):
            if (fk["schema"], fk["table"]) != (ix["schema"], ix["table"]):
                continue
            cols = as_list(fk["columns"])
            if set(ix["raw"]["columns"][: len(cols)]) == set(cols):
                names.append(fk["name"])
        return names

    def unused_index_text(self, snap: Any, ix: dict[str, Any], fks: list[str], age_s: float | None,
                          young: bool) -> Text:
        size = ix["size_bytes"]
        evidence = {"idx_scan": 0, "size_bytes": size, "size": human_bytes(size), "stats_age": human_seconds(age_s),
                    "stats_since": stats_age(snap)[1], "last_idx_scan": ix["raw"].get("last_idx_scan")}
        advice = (f"No scan of {ix['index']} in {human_seconds(age_s)} of statistics. Confirm it is unused on "
                  "every replica and by periodic jobs, then drop it to speed up writes and vacuum.")
        if fks:
            evidence["supports_foreign_keys"] = fks
            advice += (f" It is the only index matching foreign key {', '.join(fks)}: without it, deletes and "
                       "key updates on the referenced table scan this table.")
        if young:
            advice += " The statistics are young: wait until they cover a full business cycle before dropping."
        return Text(title=f"Index {ix['index']} on {ix['table']} has never been used ({human_bytes(size)})",
                    object={"schema": ix["schema"], "table": ix["table"], "index": ix["index"],
                            "columns": ix["raw"]["keys"]},
                    evidence=evidence, recommendation=advice, sql=drop_index_sql(ix["raw"]))

    # -- sequences ------------------------------------------------------------------------------------
    def sequences(self, snap: Any) -> Iterator[dict[str, Any]]:
        """Readable sequences; ``used_pct`` towards the smaller of max_value and the fed column's type
        maximum (towards min_value for a descending one)."""
        for r in records(snap["sequences"]):
            last = r.get("last_value")
            if last is None:
                continue
            inc = r.get("increment_by") or 1
            col_max = _type_max(r.get("column_type"))
            if inc > 0:
                limit = min(v for v in [r.get("max_value"), col_max] if v is not None)
                start = max(r.get("min_value") or 1, 0) if (r.get("min_value") or 1) > 0 else 0
                used = (last - start) / max(limit - start, 1)
            else:
                limit = max(v for v in [r.get("min_value"), -col_max - 1 if col_max else None] if v is not None)
                used = last / limit if limit else 0
            yield {"used_pct": 100.0 * used, "limit": limit, "column_max": col_max, "raw": r}

    def sequence_text(self, snap: Any, seq: dict[str, Any], pct: float) -> Text:
        r, limit, col_max = seq["raw"], seq["limit"], seq["column_max"]
        last = r["last_value"]
        seq_max = r.get("max_value") or float("inf")
        column_limited = bool(col_max) and col_max < seq_max
        column_bound = bool(col_max) and col_max <= seq_max  # the column fails no later than the sequence
        name = qualified(r["schema"], r["sequence"])
        fixes = []
        if r.get("table") and r.get("column") and column_bound and r.get("column_type") != "bigint":
            fixes.append(f"ALTER TABLE {qualified(r['table_schema'], r['table'])} ALTER COLUMN "
                         f"{pg_ident(r['column'])} TYPE bigint;  -- rewrites the table under an ACCESS EXCLUSIVE lock")
        if r.get("sequence_type") != "bigint":
            fixes.append(f"ALTER SEQUENCE {name} AS bigint;")
        if not fixes:
            fixes.append(f"-- {name} is already bigint at its own max_value; raise it: "
                         f"ALTER SEQUENCE {name} MAXVALUE …;")
        feeds = f"{r['table']}.{r['column']} ({r['column_type']})" if r.get("table") else None
        return Text(
            title=f"Sequence {r['sequence']} has used {pct:.1f}% of its range"
                  + (f" (limited by {feeds})" if column_limited else ""),
            object={"schema": r["schema"], "sequence": r["sequence"], "table": r.get("table"),
                    "columns": [r["column"]] if r.get("column") else None},
            evidence={"last_value": int(last), "limit": int(limit), "used_pct": round(pct, 2),
                      "values_left": int(abs(limit - last)), "sequence_type": r.get("sequence_type"),
                      "column_type": r.get("column_type"),
                      "limited_by": "column type" if column_limited else
                      "sequence and column type" if column_bound else "sequence max_value",
                      "cycle": r.get("cycle")},
            recommendation=("Widen before it runs out: every INSERT fails once it does."
                            + (" The column type, not the sequence, is the limit." if column_limited else "")
                            + (" The sequence CYCLEs: it will silently reuse old values instead of failing."
                               if r.get("cycle") else "")),
            sql="\n".join(fixes),
        )


def _flag(frame: Any, column: str) -> Any:
    """A column's truth values as a boolean array (missing or null: False; empty text: False)."""
    if column not in frame:
        return np.zeros(len(frame), dtype=bool)
    col = frame[column]
    if col.dtype.kind == "b":
        return col.to_numpy()
    return col.astype(object).where(col.notna(), False).astype(bool).to_numpy()


def _type_max(column_type: str | None) -> float | None:
    if not column_type:
        return None
    return TYPE_MAX.get(column_type.split("(")[0].strip())


@lru_cache(maxsize=4096)
def _single_row_lookup(query: str) -> tuple[str, tuple[str, ...]] | None:
    """(table, equality columns) when the statement is ``SELECT … FROM t WHERE col = $n [AND …]``."""
    import pglast
    from pglast import ast

    try:
        stmts = pglast.parse_sql(query)
    except Exception:
        return None
    if len(stmts) != 1 or not isinstance(stmts[0].stmt, ast.SelectStmt):
        return None
    sel = stmts[0].stmt
    if sel.op != 0 or not sel.fromClause or len(sel.fromClause) != 1 or not isinstance(sel.fromClause[0], ast.RangeVar):
        return None
    if sel.groupClause or sel.limitOffset:
        return None
    quals = []
    stack = [sel.whereClause]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.BoolExpr) and node.boolop == 0:  # AND
            stack.extend(node.args)
        elif isinstance(node, ast.A_Expr) and node.kind == 0 and node.name and node.name[0].sval == "=":
            sides = (node.lexpr, node.rexpr)
            col = next((s for s in sides if isinstance(s, ast.ColumnRef)), None)
            par = next((s for s in sides if isinstance(s, ast.ParamRef)), None)
            if col is None or par is None:
                return None
            quals.append(col.fields[-1].sval)
        else:
            return None
    if not quals:
        return None
    return sel.fromClause[0].relname, tuple(quals)
