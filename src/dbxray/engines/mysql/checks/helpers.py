"""Helpers shared by the MySQL/MariaDB checks (no checks here).

The collectors return index key parts as JSON arrays and spread what one check needs over
several frames (performance_schema usage, userstat, persistent statistics); these helpers
put them back together and say which source each number came from.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from dbxray.checks.helpers import as_list, memo, records

SYSTEM_SCHEMAS = ("mysql", "information_schema", "performance_schema", "sys")
PS_SOURCE = "performance_schema"
SLOW_LOG_SOURCE = "mysql.slow_log"
USERSTAT_SOURCE = "information_schema.INDEX_STATISTICS (userstat)"


def json_list(value: Any) -> list:
    """A JSON array from a collector (``'["a","b"]'``), or an already decoded list."""
    if not isinstance(value, (str, bytes)):
        return as_list(value)
    try:
        out = json.loads(value)
    except (TypeError, ValueError):
        return []
    return out if isinstance(out, list) else []


def truthy(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return value.strip().upper() in ("1", "ON", "YES", "TRUE")
    try:
        return bool(int(value))
    except (TypeError, ValueError):
        return bool(value)


def server_row(snap: Any) -> dict[str, Any]:
    rows = list(records(snap["server"]))
    return rows[0] if rows else {}


def setting(snap: Any, name: str, default: Any = None) -> Any:
    return snap.setting(name.lower(), default)


def setting_num(snap: Any, name: str) -> float | None:
    value = setting(snap, name)
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def per_call(r: dict[str, Any], name: str) -> float:
    """A digest counter divided by its calls."""
    calls = float(r.get("calls") or 0)
    return float(r.get(name) or 0) / calls if calls else 0.0


def seconds(r: dict[str, Any]) -> float:
    """How long a processlist thread has been in its state (TIME_MS where the server has it)."""
    value = r.get("seconds_precise")
    if value is None:
        value = r.get("seconds")
    return float(value or 0)


def status(snap: Any) -> dict[str, float]:
    """Global status counters as numbers (lower-case names)."""
    def build() -> dict[str, float]:
        out: dict[str, float] = {}
        for r in records(snap["status"]):
            try:
                out[str(r["name"]).lower()] = float(r["value"])
            except (TypeError, ValueError):
                continue
        return out

    return memo(snap["status"], "status", build)


def uptime_s(snap: Any) -> float | None:
    return status(snap).get("uptime")


def performance_schema_on(snap: Any) -> bool | None:
    """True/False when known; None when neither the server nor the settings collector ran."""
    row = server_row(snap)
    if row.get("performance_schema") is not None:
        return truthy(row["performance_schema"])
    value = setting(snap, "performance_schema")
    return None if value is None else truthy(value)


def has_process(snap: Any) -> bool | None:
    row = server_row(snap)
    return None if row.get("has_process") is None else truthy(row["has_process"])


def statements(snap: Any) -> tuple[Any, str | None]:
    """(statement frame, its source): performance_schema digests, else the mysql.slow_log fallback."""
    digests = snap["statements"]
    if not digests.empty:
        return digests, PS_SOURCE
    slow = snap["slow_log"]
    if not slow.empty:
        return slow, SLOW_LOG_SOURCE
    return digests, None


def tables(snap: Any) -> dict[tuple[str, str], dict[str, Any]]:
    frame = snap["tables"]
    return memo(frame, "tables", lambda: {(r["schema"], r["table"]): r for r in records(frame)})


def _base_table(name: str) -> str:
    """``orders#P#p0`` (a partition in the persistent statistics) -> ``orders``."""
    return re.split(r"#[Pp]#", str(name), maxsplit=1)[0]


def index_sizes(snap: Any) -> dict[tuple[str, str, str], float]:
    def build() -> dict[tuple[str, str, str], float]:
        out: dict[tuple[str, str, str], float] = {}
        for r in records(snap["index_sizes"]):
            key = (r["schema"], _base_table(r["table"]), r["index"])
            out[key] = out.get(key, 0.0) + float(r.get("index_bytes") or 0)
        return out

    return memo(snap["index_sizes"], "index_sizes", build)


def indexes(snap: Any) -> list[dict[str, Any]]:
    """One dict per index with decoded key parts (``columns``, ``sub_parts``, ...) and its size."""
    return memo(snap["indexes"], "indexes", lambda: _decode_indexes(snap))


JSON_LIST_COLUMNS = ("columns", "sub_parts", "cardinalities", "nullable", "descending", "expressions")


def json_column(df: Any, name: str) -> list[list]:
    """A whole column of JSON arrays decoded in one json.loads call (15,000 indexes in milliseconds)."""
    if name not in df:
        return [[] for _ in range(len(df))]
    values = df[name].tolist()
    if all(isinstance(v, str) and v for v in values if v is not None):
        try:
            return json.loads("[" + ",".join(v if v else "[]" for v in (x or "[]" for x in values)) + "]")
        except ValueError:
            pass
    return [json_list(v) for v in values]


def _decode_indexes(snap: Any) -> list[dict[str, Any]]:
    frame = snap["indexes"]
    sizes = index_sizes(snap)
    run = snap.run_of("index_sizes")
    # the collector leaves single-page indexes out: when it ran, an absent index is one page
    page = float(server_row(snap).get("innodb_page_size") or 16384) if run and run.status == "ok" else None
    lists = {name: json_column(frame, name) for name in JSON_LIST_COLUMNS}
    out = []
    for i, row in enumerate(records(frame)):
        r = dict(row)
        for name in JSON_LIST_COLUMNS:
            r[name] = lists[name][i]
        r["is_unique"] = truthy(r.get("is_unique"))
        r["is_primary"] = truthy(r.get("is_primary"))
        r["method"] = str(r.get("method") or "BTREE").upper()
        r["index_bytes"] = sizes.get((r["schema"], r["table"], r["index"]), page)
        out.append(r)
    return out


def indexes_by_table(snap: Any) -> dict[tuple[str, str], list[dict[str, Any]]]:
    def build() -> dict[tuple[str, str], list[dict[str, Any]]]:
        out: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for ix in indexes(snap):
            out.setdefault((ix["schema"], ix["table"]), []).append(ix)
        return out

    return memo(snap["indexes"], "indexes_by_table", build)


def display_columns(ix: dict[str, Any]) -> list[str]:
    """Key parts as a person reads them: ``name(10)`` for a prefix, ``(expr)`` for a functional part."""
    exprs = ix.get("expressions") or []
    subs = ix.get("sub_parts") or []
    out = []
    for i, c in enumerate(ix["columns"]):
        if c is None:
            out.append(f"({exprs[i] if i < len(exprs) else '?'})")
        else:
            sub = subs[i] if i < len(subs) else None
            out.append(f"{c}({int(sub)})" if sub is not None else str(c))
    return out


def auto_increment_rows(snap: Any) -> list[dict[str, Any]]:
    """The tables that have an AUTO_INCREMENT column, with its type and limit (a handful of rows)."""
    cols = snap["columns"]
    if cols.empty or "ai_column" not in cols:
        return []
    return memo(cols, "auto_increment", lambda: records(cols[cols["ai_column"].notna()].reset_index(drop=True)))


def key_parts(ix: dict[str, Any]) -> list[tuple]:
    """(column or expression, prefix length, descending) per key part, the unit of comparison."""
    cols, subs, desc, exprs = ix["columns"], ix["sub_parts"], ix["descending"], ix["expressions"]
    parts = []
    for i, col in enumerate(cols):
        expr = exprs[i] if i < len(exprs) else None
        parts.append((col if col is not None else f"expr:{expr}",
                      subs[i] if i < len(subs) else None,
                      bool(desc[i]) if i < len(desc) else False))
    return parts


def decode_filename(text: str) -> str:
    """InnoDB's on-disk spelling of a name -> the name (``Order@0020Items`` -> ``Order Items``).

    Characters outside [A-Za-z0-9_] are stored as ``@`` + 4 hex digits; MariaDB writes some
    letters (accented Latin, Greek, Cyrillic) as 3-character codes this does not decode: such
    names then simply match no table, and the checks go without their foreign keys."""
    return re.sub(r"@([0-9a-f]{4})", lambda m: chr(int(m.group(1), 16)), str(text))


def foreign_keys(snap: Any) -> list[dict[str, Any]]:
    """Foreign keys of the target database: (schema, table, constraint, columns, referenced_*)."""
    def build() -> list[dict[str, Any]]:
        out = []
        for row in records(snap["foreign_keys"]):
            r = dict(row)
            if "for_name" in r:  # the MariaDB variant reads the InnoDB dictionary
                r["schema"], _, r["table"] = decode_filename(r["for_name"]).partition("/")
                r["referenced_schema"], _, r["referenced_table"] = decode_filename(r["ref_name"]).partition("/")
                r["constraint"] = str(r["id"]).partition("/")[2]
                if not in_scope(snap, r["schema"]):
                    continue
            r["columns"] = json_list(r.get("columns"))
            r["referenced_columns"] = json_list(r.get("referenced_columns"))
            out.append(r)
        return out

    return memo(snap["foreign_keys"], "foreign_keys", build)


def parse_lock_table(text: Any) -> tuple[str | None, str | None]:
    """```shop`.`orders``` (INNODB_LOCKS.lock_table) -> ("shop", "orders")."""
    if not text:
        return None, None
    parts = re.findall(r"`((?:[^`]|``)*)`", str(text))
    parts = [p.replace("``", "`") for p in parts]
    if len(parts) >= 2:
        return parts[0], parts[1]
    return None, str(text)


def in_scope(snap: Any, schema: Any) -> bool:
    target = snap.database
    return schema == target if target else schema not in SYSTEM_SCHEMAS


def user_sessions(snap: Any) -> Iterator[dict[str, Any]]:
    """Client sessions from the processlist (server threads and replication excluded)."""
    for r in records(snap["activity"]):
        command = str(r.get("command") or "")
        user = str(r.get("user") or "")
        if command in ("Daemon", "Binlog Dump", "Binlog Dump GTID") or user in ("system user", "event_scheduler"):
            continue
        yield r


def index_definition(ix: dict[str, Any]) -> str:
    """``ADD [UNIQUE|FULLTEXT|SPATIAL] INDEX `name` (key parts)``: the undo of a DROP INDEX."""
    from dbxray.engines.mysql.quoting import mysql_ident

    parts = []
    for i, col in enumerate(ix["columns"]):
        if col is None:
            expr = ix["expressions"][i] if i < len(ix["expressions"]) else None
            part = f"({expr})"
        else:
            part = mysql_ident(col)
            sub = ix["sub_parts"][i] if i < len(ix["sub_parts"]) else None
            if sub is not None:
                part += f"({int(sub)})"
        if i < len(ix["descending"]) and ix["descending"][i]:
            part += " DESC"
        parts.append(part)
    if ix["is_primary"]:
        return f"ADD PRIMARY KEY ({', '.join(parts)})"
    kind = {"FULLTEXT": "FULLTEXT ", "SPATIAL": "SPATIAL "}.get(ix["method"], "UNIQUE " if ix["is_unique"] else "")
    using = " USING HASH" if ix["method"] == "HASH" else ""
    return f"ADD {kind}INDEX {mysql_ident(ix['index'])} ({', '.join(parts)}){using}"


def hide_index_sql(snap: Any, schema: str, table: str, index: str) -> str | None:
    """Make an index invisible to the optimizer (instant, reversible) where the server can."""
    from dbxray.engines.mysql.quoting import mysql_ident

    flavor = snap.meta.get("flavor")
    target = mysql_ident(schema, table)
    if flavor == "mariadb" and snap.version_num >= 100600:
        return f"ALTER TABLE {target} ALTER INDEX {mysql_ident(index)} IGNORED;"
    if flavor == "mysql" and snap.version_num >= 80000:
        return f"ALTER TABLE {target} ALTER INDEX {mysql_ident(index)} INVISIBLE;"
    return None


def drop_index_sql(snap: Any, ix: dict[str, Any], hide_first: bool = True) -> str:
    """DROP INDEX with, where possible, the reversible hide-first step, and always the undo."""
    from dbxray.engines.mysql.quoting import mysql_ident

    target = mysql_ident(ix["schema"], ix["table"])
    drop = f"ALTER TABLE {target} DROP INDEX {mysql_ident(ix['index'])};"
    undo = f"-- undo: ALTER TABLE {target} {index_definition(ix)};"
    hide = hide_index_sql(snap, ix["schema"], ix["table"], ix["index"]) if hide_first else None
    if hide:
        return (f"-- 1. hide it from the optimizer (instant, reversible) and watch the workload:\n{hide}\n"
                f"-- 2. then drop it:\n{drop}\n{undo}")
    return f"{drop}\n{undo}"


def index_reads(snap: Any) -> dict[tuple[str, str, str | None], dict[str, float]]:
    """performance_schema I/O per (schema, table, index); index None is the full-scan/insert row."""
    def build() -> dict[tuple[str, str, str | None], dict[str, float]]:
        out: dict[tuple[str, str, str | None], dict[str, float]] = {}
        for r in records(snap["index_usage"]):
            out[(r["schema"], r["table"], r.get("index"))] = {
                "io_count": float(r.get("io_count") or 0), "reads": float(r.get("reads") or 0),
                "updates": float(r.get("updates") or 0), "deletes": float(r.get("deletes") or 0)}
        return out

    return memo(snap["index_usage"], "index_reads", build)
