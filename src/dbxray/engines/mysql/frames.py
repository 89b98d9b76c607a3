"""MySQL's and MariaDB's engine-neutral views (``checks.frames``) for the shared checks, and their wording.

performance_schema digests (or mysql.slow_log) feed the statements view, the processlist the
sessions, INNODB_LOCK_WAITS / data_lock_waits the lock waits and the processlist's metadata-lock
state the lock queue, performance_schema index I/O (or MariaDB's userstat) the index usage, and
AUTO_INCREMENT columns against their type's maximum the sequences.
"""

from __future__ import annotations

from typing import Any

from dbxray.checks.frames import Connections, NoFrames, Text
from dbxray.checks.helpers import human_bytes, human_seconds, short_query
from dbxray.engines.mysql.checks.helpers import (
    PS_SOURCE,
    USERSTAT_SOURCE,
    auto_increment_rows,
    display_columns,
    drop_index_sql,
    foreign_keys,
    index_reads,
    indexes_by_table,
    memo,
    parse_lock_table,
    per_call,
    performance_schema_on,
    records,
    seconds,
    setting,
    setting_num,
    statements,
    status,
    tables,
    truthy,
    uptime_s,
    user_sessions,
)
from dbxray.engines.mysql.quoting import mysql_ident

MDL_WAIT = "waiting for table metadata lock"


class MySQLFrames(NoFrames):
    # -- statements ----------------------------------------------------------------------------------
    def statements(self, snap: Any) -> tuple[Any, str | None]:
        from dbxray.report import summary as summ

        frame, source = statements(snap)
        return memo(frame, "ranked", lambda: summ.statements(frame)), source

    def statement_object(self, row: dict[str, Any]) -> dict[str, Any]:
        return {"query_id": row["queryid"], "schema": row.get("schema")}

    def statement_evidence(self, row: dict[str, Any], source: str | None) -> dict[str, Any]:
        return {"rows_examined_per_call": round(per_call(row, "rows_examined"), 1),
                "no_index_used": row.get("no_index_used"), "lock_ms": row.get("lock_ms"),
                "p95_ms": row.get("p95_exec_ms"), "source": source}

    def explain_hint(self, row: dict[str, Any]) -> str:
        return "Run `dbxray explain --dsn … \"<the statement with real values>\"` to see where the time goes"

    def single_row_lookup(self, snap: Any, row: dict[str, Any]) -> tuple[str, tuple[str, ...]] | None:
        """One table, no join or grouping, equality on its columns and nothing the parser could not use."""
        from sqlglot import exp

        from dbxray.engines.mysql.advisor.catalog import columns_by_table
        from dbxray.engines.mysql.advisor.parse import parse_statement

        parsed = parse_statement(str(row.get("query") or ""), columns_by_table(snap),
                                 row.get("schema") or snap.database or "")
        if parsed is None or parsed.kind != "select" or len(parsed.accesses) != 1:
            return None
        tree = parsed.tree
        if not isinstance(tree, exp.Select) or tree.args.get("group") or tree.args.get("joins"):
            return None
        acc = next(iter(parsed.accesses.values()))
        if not acc.eq or acc.ranges or acc.unusable:
            return None
        return acc.table, tuple(acc.eq)

    def n_plus_one_text(self, row: dict[str, Any], facts: dict[str, Any]) -> Text:
        calls, share = facts["calls"], facts["share_pct"]
        return Text(
            title=f"{int(calls):,} single-row lookups ({share:.0f}% of all calls): likely N+1",
            object={"query_id": row["queryid"], "schema": row.get("schema")},
            evidence={"calls": int(calls), "share_of_calls_pct": round(share, 1),
                      "rows_per_call": row.get("rows_per_call"), "mean_ms": round(row.get("mean_ms") or 0, 3),
                      "total_ms": round(row.get("total_ms") or 0, 1), "source": facts["source"],
                      "query": short_query(row.get("query"), 400)},
            recommendation=("Load these rows in one statement (WHERE key IN (...), a join, or the ORM's eager "
                            "loading) instead of one round trip per row."),
        )

    # -- sessions --------------------------------------------------------------------------------------
    session_noun = "id"

    def sessions(self, snap: Any) -> list[dict[str, Any]]:
        """Processlist threads of clients; ``active`` while a Query/Execute command has a statement."""
        return memo(snap["activity"], "sessions", lambda: [
            {"pid": r["pid"], "user": r.get("user"), "database": r.get("db"),
             "state": _state(r), "query": r.get("query"), "query_s": seconds(r), "raw": r}
            for r in user_sessions(snap)])

    def cancel_sql(self, pid: int) -> str:
        return f"KILL QUERY {pid};"

    def terminate_sql(self, pid: int) -> str:
        return f"KILL {pid};"

    def long_query_evidence(self, session: dict[str, Any]) -> dict[str, Any]:
        r = session["raw"]
        return {"state": r.get("state"), "client": r.get("client"), "rows_examined_so_far": r.get("examined_rows"),
                "source": "processlist"}

    def long_query_advice(self, snap: Any) -> str:
        return (f"If it should not run this long, kill the statement (KILL QUERY keeps the connection), "
                f"then {timeout_hint(snap)}, and explain it.")

    connection_advice = ("Pool connections and shrink application pools (most of them are usually Sleep); raise "
                         "max_connections only with memory for the per-thread buffers.")

    def connections(self, snap: Any) -> Connections | None:
        counters = status(snap)
        limit = setting_num(snap, "max_connections")
        used = counters.get("threads_connected")
        if not limit or used is None:
            return None
        return Connections(used, limit, counters)

    def connection_evidence(self, snap: Any, use: Connections) -> dict[str, Any]:
        peak = use.raw.get("max_used_connections")
        by_command: dict[str, int] = {}
        for r in user_sessions(snap):
            by_command[str(r.get("command"))] = by_command.get(str(r.get("command")), 0) + 1
        return {"threads_connected": int(use.used), "max_connections": int(use.limit),
                "max_used_connections": int(peak) if peak is not None else None,
                "threads_running": use.raw.get("threads_running"), "by_command": by_command, "source": "global status"}

    def connection_limit_sql(self, limit: float) -> str:
        return f"SET GLOBAL max_connections = {int(limit * 1.5)};  -- dynamic; also in the config file to persist"

    # -- lock waits -----------------------------------------------------------------------------------
    def lock_waits(self, snap: Any) -> list[dict[str, Any]]:
        """InnoDB row/table lock waits (INNODB_LOCK_WAITS + INNODB_LOCKS, or MySQL 8's data_lock_waits)."""
        out = []
        for w in records(snap["lock_waits"]):
            if w.get("waiting_pid") is None or w.get("blocking_pid") is None:
                continue
            schema, table = parse_lock_table(w.get("lock_table"))
            wait = float(w.get("wait_seconds") or 0)
            pid = int(w["waiting_pid"])
            out.append({"waiting_pid": pid, "blocking_pid": int(w["blocking_pid"]), "wait_s": wait,
                        "schema": schema, "table": table,
                        "detail": {"pid": pid, "waiting_s": wait, "lock_mode": w.get("waiting_lock_mode"),
                                   "lock_type": w.get("lock_type"), "table": table, "index": w.get("locked_index"),
                                   "query": short_query(w.get("waiting_query"), 160)}})
        return out

    def blocker_text(self, snap: Any, root: int, waits: list[dict[str, Any]], longest: float) -> Text:
        details = [w["detail"] for w in waits]
        tables_ = {(w["schema"], w["table"]) for w in waits if w["table"]}
        b = next((w for w in records(snap["lock_waits"]) if w.get("waiting_pid") is not None
                  and w.get("blocking_pid") is not None and int(w["blocking_pid"]) == root), {})
        s = next((r for r in user_sessions(snap) if int(r["pid"]) == root), {})
        idle = str(b.get("blocking_command") or s.get("command") or "") == "Sleep"
        schema, table = next(iter(sorted(tables_, key=str)), (None, None))
        what = f" on {table}" if table else ""
        mysql8 = snap.meta.get("flavor") == "mysql" and snap.version_num >= 80000
        return Text(
            title=f"Session {root} blocks {len(details)} session(s){what}, longest wait {human_seconds(longest)}"
                  + (" (the blocker is idle in its transaction)" if idle else ""),
            object={"pid": root, "role": b.get("blocking_user") or s.get("user"), "schema": schema, "table": table,
                    "index": next((d["index"] for d in details if d.get("index")), None), "database": s.get("db")},
            evidence={"blocker_command": b.get("blocking_command") or s.get("command"),
                      "blocker_idle_s": b.get("blocking_command_seconds") if idle else None,
                      "blocker_trx_age_s": b.get("blocking_trx_seconds"),
                      "blocker_lock_mode": b.get("blocking_lock_mode"),
                      "blocker_query": short_query(b.get("blocking_query") or s.get("query"), 300),
                      "blocked": details, "longest_wait_s": longest,
                      "source": "performance_schema.data_lock_waits" if mysql8
                      else "information_schema.INNODB_LOCK_WAITS"},
            recommendation=(f"The root blocker, session {root}, is "
                            + ("idle inside its transaction: the application did not commit. " if idle
                               else "still running. ")
                            + "End its transaction (commit or roll back in the application, or KILL it). Keep "
                              "transactions short and take row locks in a consistent order."),
            sql=f"{self.terminate_sql(root)}  -- ends the session; its transaction is rolled back",
        )

    def lock_queue(self, snap: Any) -> list[dict[str, Any]]:
        """Sessions waiting for a table metadata lock (the lock views do not show these)."""
        return [{**r, "wait_s": seconds(r)} for r in user_sessions(snap)
                if MDL_WAIT in str(r.get("state") or "").lower()]

    def lock_queue_text(self, snap: Any, waiting: list[dict[str, Any]], longest: float) -> Text:
        """The holder is an open transaction older than the wait: the oldest such is named."""
        trx = sorted(records(snap["transactions"]), key=lambda r: -(r.get("trx_seconds") or 0))
        waiting_pids = {int(w["pid"]) for w in waiting}
        # trx_started has one-second resolution: a holder opened its transaction before the wait began
        holders = [r for r in trx if (r.get("trx_seconds") or 0) + 1 >= longest and r.get("pid") is not None
                   and int(r["pid"]) not in waiting_pids]
        root = int(holders[0]["pid"]) if holders else None
        return Text(
            title=f"{len(waiting)} session(s) wait for a table metadata lock, longest {human_seconds(longest)}",
            object={"pid": root, "database": waiting[0].get("db")},
            evidence={"waiting": [{"pid": int(r["pid"]), "waiting_s": r["wait_s"], "state": r.get("state"),
                                   "query": short_query(r.get("query"), 160)} for r in waiting],
                      "likely_holders": [{"pid": int(h["pid"]), "trx_age_s": h.get("trx_seconds"),
                                          "command": h.get("command"), "query": short_query(h.get("query"), 160)}
                                         for h in holders[:5]],
                      "source": "processlist state + information_schema.INNODB_TRX"},
            recommendation=("A DDL statement (or LOCK TABLES) waits for transactions that touched the table to end, "
                            "and every later statement on the table queues behind it. End the oldest open "
                            "transaction" + (f" (session {root})" if root else "")
                            + "; run DDL with a short lock_wait_timeout."),
            sql=f"KILL {root};  -- the oldest open transaction, the likely holder" if root else None,
        )

    # -- index usage ----------------------------------------------------------------------------------
    def stats_age(self, snap: Any) -> float | None:
        """The uptime with performance_schema; unknown with userstat (it counts since it was enabled)."""
        return uptime_s(snap) if _usage_source(snap) == PS_SOURCE else None

    def unused_indexes(self, snap: Any) -> list[dict[str, Any]]:
        """B-tree, hash and R-tree indexes with no I/O (performance_schema, since the server started) or
        no rows read (userstat) on tables something did read."""
        source = _usage_source(snap)
        if source is None:
            return []
        reads = index_reads(snap)
        table_reads: dict[tuple[str, str], float] = {}
        for (schema, table, _ix), row in reads.items():
            table_reads[(schema, table)] = table_reads.get((schema, table), 0.0) + row["reads"]
        us_used, us_tables = _userstat_reads(snap)
        out = []
        for (schema, table), ixs in sorted(indexes_by_table(snap).items()):
            for ix in ixs:
                if ix["method"] not in ("BTREE", "HASH", "RTREE"):
                    continue
                if source == PS_SOURCE:
                    row = reads.get((schema, table, ix["index"]))
                    if row is None or row["io_count"] or not table_reads.get((schema, table)):
                        continue
                elif (schema, table) not in us_tables or (schema, table, ix["index"]) in us_used:
                    continue
                out.append({"schema": schema, "table": table, "index": ix["index"], "size_bytes": ix.get("index_bytes"),
                            "enforces": ix["is_primary"] or ix["is_unique"], "source": source,
                            "table_reads": table_reads.get((schema, table)), "raw": ix})
        return out

    def index_foreign_keys(self, snap: Any, ix: dict[str, Any]) -> list[str]:
        """Foreign keys for which this index is the only one starting with their columns (InnoDB needs one)."""
        table_indexes = indexes_by_table(snap).get((ix["schema"], ix["table"]), [])
        names = []
        for fk in foreign_keys(snap):
            if (fk["schema"], fk["table"]) != (ix["schema"], ix["table"]):
                continue
            cols = [str(c).lower() for c in fk["columns"]]

            def serves(other: dict[str, Any], cols: list[str] = cols) -> bool:
                lead = [str(c).lower() for c in other["columns"][:len(cols)]]
                return other["method"] == "BTREE" and lead == cols

            if serves(ix["raw"]) and not any(serves(o) for o in table_indexes if o is not ix["raw"]):
                names.append(fk["constraint"])
        return names

    def unused_index_text(self, snap: Any, ix: dict[str, Any], fks: list[str], age_s: float | None,
                          young: bool) -> Text:
        size = ix["size_bytes"]
        if ix["source"] == PS_SOURCE:
            evidence = {"io_count": 0, "table_reads_since_startup": int(ix["table_reads"]),
                        "stats_age": human_seconds(age_s), "stats_since": "server start (uptime)"}
        else:
            evidence = {"rows_read": 0, "stats_age": "since userstat was enabled or last flushed (unknown; "
                                                     f"at most the uptime, {human_seconds(uptime_s(snap))})"}
        evidence.update({"size": human_bytes(size) if size is not None else None, "index_bytes": size,
                         "source": ix["source"]})
        advice = (f"No read through {ix['index']} in {evidence['stats_age']}. Confirm it is unused on every "
                  "replica and by periodic jobs; hide it first, then drop it.")
        if fks:
            evidence["needed_by_foreign_keys"] = fks
            advice = (f"{ix['index']} looks unused, but it is the only index for foreign key "
                      f"{', '.join(fks)}: InnoDB refuses to drop it while the constraint exists.")
        if young and not fks:
            advice += " The statistics are young: wait until they cover a full business cycle."
        return Text(
            title=f"Index {ix['index']} on {ix['table']} has not been used in {evidence['stats_age'].split(' (')[0]}"
                  + (f" ({human_bytes(size)})" if size else ""),
            object={"schema": ix["schema"], "table": ix["table"], "index": ix["index"],
                    "columns": display_columns(ix["raw"])},
            evidence=evidence, recommendation=advice, sql=None if fks else drop_index_sql(snap, ix["raw"]))

    # -- sequences: AUTO_INCREMENT columns -----------------------------------------------------------
    def sequences(self, snap: Any) -> list[dict[str, Any]]:
        """AUTO_INCREMENT columns: the next value against the column type's maximum."""
        tabs = tables(snap)
        out = []
        for r in auto_increment_rows(snap):
            if r.get("ai_max_value") is None:
                continue
            nxt = tabs.get((r["schema"], r["table"]), {}).get("auto_increment")
            if nxt is None:
                continue
            limit = float(r["ai_max_value"])
            used = max(float(nxt) - 1, 0.0)
            out.append({"used_pct": 100.0 * used / limit, "next": nxt, "limit": limit, "used": used, "raw": r})
        return out

    def sequence_text(self, snap: Any, seq: dict[str, Any], pct: float) -> Text:
        r, limit, used = seq["raw"], seq["limit"], seq["used"]
        column, key = r["ai_column"], (r["schema"], r["table"])
        dtype = str(r.get("ai_data_type") or "").lower()
        unsigned = truthy(r.get("ai_unsigned"))
        referencing = [f"{fk['table']}.{fk['constraint']}" for fk in foreign_keys(snap)
                       if (fk.get("referenced_schema"), fk.get("referenced_table")) == key
                       and str(column).lower() in [str(c).lower() for c in fk["referenced_columns"]]]
        if dtype == "bigint" and unsigned:
            sql = None
            advice = "It is already BIGINT UNSIGNED: archive or renumber rows, or move to a wider key."
        else:
            not_null = "" if truthy(r.get("ai_nullable")) else " NOT NULL"
            sql = (f"ALTER TABLE {mysql_ident(r['schema'], r['table'])} MODIFY {mysql_ident(column)} "
                   f"BIGINT UNSIGNED{not_null} AUTO_INCREMENT;")
            advice = (f"Widen {column} to BIGINT UNSIGNED before it runs out; the ALTER copies the table "
                      "(use pt-online-schema-change or gh-ost on a busy table).")
            if referencing:
                advice += f" Change the referencing foreign-key columns too: {', '.join(referencing)}."
        return Text(
            title=(f"AUTO_INCREMENT {r['table']}.{column} ({r.get('ai_column_type')}) has used {pct:.1f}% "
                   "of its range"),
            object={"schema": r["schema"], "table": r["table"], "columns": [column], "sequence": column},
            evidence={"next_value": int(seq["next"]), "max_value": int(limit), "used_pct": round(pct, 2),
                      "column_type": r.get("ai_column_type"), "unsigned": unsigned,
                      "remaining": int(limit - used), "referenced_by": referencing or None},
            recommendation=advice, sql=sql)


def timeout_hint(snap: Any) -> str:
    """How this server limits a statement's run time (MariaDB and MySQL name it differently)."""
    if snap.meta.get("flavor") == "mariadb":
        return "set max_statement_time (seconds) for the application's account or session"
    return "set max_execution_time (ms, SELECT only) or use the MAX_EXECUTION_TIME() optimizer hint"


def _state(r: dict[str, Any]) -> str:
    command = str(r.get("command") or "")
    if command in ("Query", "Execute") and r.get("query"):
        return "active"
    return "idle" if command == "Sleep" else command.lower()


def _usage_source(snap: Any) -> str | None:
    """performance_schema index I/O when it is on and collected, else MariaDB's userstat, else None."""
    if performance_schema_on(snap) and not snap["index_usage"].empty:
        return PS_SOURCE
    if truthy(setting(snap, "userstat")) and not snap["userstat_tables"].empty:
        return USERSTAT_SOURCE
    return None


def _userstat_reads(snap: Any) -> tuple[set[tuple[str, str, str]], set[tuple[str, str]]]:
    used = {(r["schema"], r["table"], r["index"]) for r in records(snap["userstat_indexes"])}
    read_tables = {(r["schema"], r["table"]) for r in records(snap["userstat_tables"]) if (r.get("rows_read") or 0)}
    return used, read_tables
