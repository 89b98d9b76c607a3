"""Schema-design checks for MySQL / MariaDB: the schema read against the live statistics (performance_schema
digests and table I/O, information_schema) and the statements that actually run.

The same reasoning as PostgreSQL's ``design`` checks, in InnoDB's terms: the primary key is the clustered
index (every secondary index carries it), there are no hypothetical indexes (advice is unproven and says
so), and digests hide literals as ``?`` (a JSON path comes from statement samples when performance_schema
kept them).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from dbxray.checks import check
from dbxray.checks.design_rules import (
    EVENT_TIME_NAMES,
    GROUP_ABOVE,
    MONEY_NAMES,
    NOT_MONEY_NAMES,
    by_schema,
    event_time_name,
    has_currency_sibling,
    money_name,
    pct,
    schema_evidence,
    tables_text,
    window_text,
)
from dbxray.checks.helpers import human_bytes, short_query
from dbxray.engines.mysql.checks import ENGINES
from dbxray.engines.mysql.checks.helpers import (
    foreign_keys,
    indexes_by_table,
    memo,
    records,
    setting,
    tables,
    uptime_s,
)
from dbxray.engines.mysql.design.workload import top
from dbxray.engines.mysql.quoting import mysql_ident
from dbxray.findings import Finding
from dbxray.report.interval_frames import window

INT_LIMITS = {("tinyint", False): 127, ("tinyint", True): 255, ("smallint", False): 32767,
              ("smallint", True): 65535, ("mediumint", False): 8388607, ("mediumint", True): 16777215,
              ("int", False): 2147483647, ("int", True): 4294967295, ("integer", False): 2147483647,
              ("integer", True): 4294967295}
LARGE_TYPES = {"text", "mediumtext", "longtext", "blob", "mediumblob", "longblob", "json"}
SECONDS_PER_YEAR = 365.25 * 86400


def _columns(snap: Any) -> dict[tuple[str, str], dict[str, dict[str, Any]]]:
    from dbxray.engines.mysql.advisor.catalog import columns_by_table

    return columns_by_table(snap)


def _col(snap: Any, key: tuple[str, str], column: str) -> dict[str, Any]:
    return _columns(snap).get(key, {}).get(str(column).lower(), {})


def _pk(snap: Any, key: tuple[str, str]) -> list[str]:
    ix = next((i for i in indexes_by_table(snap).get(key, ()) if i["is_primary"]), None)
    return list(ix["columns"]) if ix else []


def _base_type(column_type: Any) -> str:
    """``int(11) unsigned zerofill`` -> ``int unsigned``: the display width means nothing."""
    text = re.sub(r"\(\d+\)", "", str(column_type or "").lower())
    return " ".join(w for w in text.split() if w != "zerofill")


def _table_io(snap: Any) -> tuple[dict[tuple[str, str], dict[str, Any]], float | None, str]:
    frame, seconds, basis = window(snap, "table_io", uptime_s(snap))
    return memo(frame, "design_table_io", lambda: {(r["schema"], r["table"]): r for r in records(frame)}), seconds, \
        basis


# -- money in floating point ----------------------------------------------------------------------------

@check("money_float", "schema_design", engines=ENGINES, name_pattern=MONEY_NAMES, not_money_pattern=NOT_MONEY_NAMES,
       scale=4)
def money_float(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Money kept in floating point: ``FLOAT`` / ``DOUBLE`` / ``REAL`` columns whose name says money
    (``name_pattern``: ``price``, ``amount``, ``total_cost``…, unless a word of ``not_money_pattern`` says
    it measures something else: ``tax_rate``, ``total_weight``) or that sit next to a ``currency`` column.

    Why: binary floating point cannot hold most decimal fractions, so sums drift by cents, equality on
    amounts fails and the application and the database round differently. ``FLOAT`` keeps only about 7
    significant digits: 123456.78 is already stored as 123456.78125.
    Fix: ``DECIMAL(19, scale)``; the ALTER copies the table (pt-online-schema-change or gh-ost on a busy
    one), and MODIFY must restate the column's DEFAULT and COMMENT.
    """
    tabs = tables(snap)
    for key, cols in sorted(_columns(snap).items()):
        names = [c["column"] for c in cols.values()]
        currency = has_currency_sibling(names)
        for c in cols.values():
            if str(c.get("data_type") or "").lower() not in ("float", "double", "real", "double precision"):
                continue
            by_name = money_name(c["column"], t["name_pattern"], t["not_money_pattern"])
            if not by_name and not (currency and money_name("amount_" + c["column"], "amount",
                                                             t["not_money_pattern"])):
                continue
            null = "" if c.get("is_nullable") else " NOT NULL"
            yield Finding(
                check="money_float",
                severity="warning",
                title=f"{key[1]}.{c['column']} holds money in floating point ({c.get('column_type')})",
                object={"schema": key[0], "table": key[1], "columns": [c["column"]]},
                evidence={"type": c.get("column_type"),
                          "why_money": "its name" if by_name else f"the {currency} column next to it",
                          "rows_estimate": (tabs.get(key) or {}).get("rows_estimate")},
                recommendation=(f"Store {c['column']} as DECIMAL: floating point cannot represent most cents exactly, "
                                "so sums and comparisons of amounts drift. The ALTER copies the table: use "
                                "pt-online-schema-change or gh-ost on a busy one, and restate the column's DEFAULT and "
                                "COMMENT in the MODIFY."),
                sql=(f"ALTER TABLE {mysql_ident(*key)} MODIFY {mysql_ident(c['column'])} DECIMAL(19, {int(t['scale'])})"
                     f"{null};  -- copies the table; restate DEFAULT / COMMENT if the column has them"),
            )


# -- join columns without a foreign key, foreign keys with mismatched types ---------------------------------

def _type_issue(child: dict[str, Any], parent: dict[str, Any]) -> tuple[str, str] | None:
    ct, pt = _base_type(child.get("column_type")), _base_type(parent.get("column_type"))
    if not ct or not pt:
        return None
    cs, ps = child.get("charset"), parent.get("charset")
    if ct == pt and (cs == ps or not cs or not ps):
        return None
    cd, pd_ = str(child.get("data_type") or "").lower(), str(parent.get("data_type") or "").lower()
    strings = ("char", "varchar")
    if cd in strings and pd_ in strings and cd == pd_ and (cs == ps or not cs or not ps):
        return None  # only the length differs: InnoDB compares the values, not the declarations
    if cs and ps and cs != ps:
        return ("warning", f"{child.get('column_type')} {cs} against {parent.get('column_type')} {ps}: a join between "
                           "different character sets converts one side, so the index on that side cannot be used")
    if cd in ("int", "integer", "tinyint", "smallint", "mediumint", "bigint") and \
            pd_ in ("int", "integer", "tinyint", "smallint", "mediumint", "bigint"):
        climit = INT_LIMITS.get((cd, "unsigned" in ct), 2**63 - 1)
        plimit = INT_LIMITS.get((pd_, "unsigned" in pt), 2**63 - 1)
        if climit < plimit:
            return ("warning", f"{ct} cannot hold every {pt} key: once the referenced key passes {climit:,}, rows that "
                               "point at it cannot be inserted")
        return ("warning", f"{ct} against {pt}: InnoDB requires foreign-key columns of the same size and sign (this "
                           "one exists because it was created with foreign_key_checks = 0), and joins compare "
                           "mixed types")
    return ("warning", f"{ct} against {pt}: every join converts one side, so the index on that side cannot be used")


@check("missing_foreign_key", "schema_design", engines=ENGINES, min_calls=100, max_statements=200)
def missing_foreign_key(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Join columns without a foreign key: the digests join (or filter with ``IN (SELECT …)``) a column
    against another InnoDB table's single-column primary key, and no foreign key says so.

    Why: nothing stops orphans (rows pointing at a key that was deleted or never existed), so every
    reader must defend against them. From the ``max_statements`` heaviest digests; a warning when the
    joining digests ran at least ``min_calls`` times, otherwise info. Joins between two primary keys (1:1
    tables) and non-InnoDB tables (no foreign keys) are left out. Some teams drop foreign keys on purpose
    (online schema changes, sharding): disable this check there.
    Fix: check for orphans, then add the constraint (InnoDB validates every row: a table copy unless
    ``foreign_key_checks = 0``; it also creates an index on the column when none leads with it).
    """
    fks = {(fk["schema"], fk["table"], tuple(fk["columns"]), fk.get("referenced_schema"),
            fk.get("referenced_table"), tuple(fk["referenced_columns"])) for fk in foreign_keys(snap)}
    tabs = tables(snap)
    found: dict[tuple, dict[str, Any]] = {}
    for wd in top(snap, t["max_statements"]):
        for a, b in wd.pairs:
            for child, parent in ((a, b), (b, a)):
                if child[:2] == parent[:2] or _pk(snap, parent[:2]) != [parent[2]] or \
                        _pk(snap, child[:2]) == [child[2]]:
                    continue
                if any(str((tabs.get(k) or {}).get("engine") or "InnoDB").lower() != "innodb"
                       for k in (child[:2], parent[:2])):
                    continue
                if (child[0], child[1], (child[2],), parent[0], parent[1], (parent[2],)) in fks or \
                        (parent[0], parent[1], (parent[2],), child[0], child[1], (child[2],)) in fks:
                    continue
                entry = found.setdefault((child, parent), {"calls": 0.0, "statements": []})
                entry["calls"] += wd.calls
                if wd.queryid not in [s["query_id"] for s in entry["statements"]]:
                    entry["statements"].append({"query_id": wd.queryid, "calls": int(wd.calls),
                                                "query": short_query(wd.query, 200)})
    for (child, parent), entry in sorted(found.items(), key=lambda kv: -kv[1]["calls"]):
        ckey, pkey = child[:2], parent[:2]
        ccol, pcol = _col(snap, ckey, child[2]), _col(snap, pkey, parent[2])
        issue = _type_issue(ccol, pcol)
        target, ref = mysql_ident(*ckey), mysql_ident(*pkey)
        c, p = mysql_ident(child[2]), mysql_ident(parent[2])
        name = mysql_ident(f"fk_{ckey[1]}_{child[2]}"[:64])
        lines = []
        if issue:
            null = "" if ccol.get("is_nullable") else " NOT NULL"
            lines.append(f"ALTER TABLE {target} MODIFY {c} {pcol.get('column_type')}{null};  -- the types must match "
                         "first (a table copy)")
        lines += [f"-- orphans first (must be 0): SELECT COUNT(*) FROM {target} c WHERE c.{c} IS NOT NULL AND NOT "
                  f"EXISTS (SELECT 1 FROM {ref} p WHERE p.{p} = c.{c});",
                  f"ALTER TABLE {target} ADD CONSTRAINT {name} FOREIGN KEY ({c}) REFERENCES {ref} ({p});"
                  "  -- validates every row (a table copy); adds an index on the column if none leads with it"]
        calls = entry["calls"]
        yield Finding(
            check="missing_foreign_key",
            severity="warning" if calls >= t["min_calls"] else "info",
            title=f"{ckey[1]}.{child[2]} is joined to {pkey[1]}.{parent[2]} ({int(calls):,} calls) without a "
                  "foreign key",
            object={"schema": ckey[0], "table": ckey[1], "columns": [child[2]]},
            evidence={"references": f"{pkey[0]}.{pkey[1]}({parent[2]})", "join_calls": int(calls),
                      "statements": entry["statements"][:5], "column_type": ccol.get("column_type"),
                      "referenced_type": pcol.get("column_type"), "type_mismatch": issue[1] if issue else None,
                      "rows_estimate": (tabs.get(ckey) or {}).get("rows_estimate")},
            recommendation=(f"The workload treats {ckey[1]}.{child[2]} as a reference to {pkey[1]}.{parent[2]}, but "
                            "nothing enforces it, so orphans can appear. Count them, then add the foreign key"
                            + (f"; the types differ first ({issue[1]})" if issue else "") + "."),
            sql="\n".join(lines),
        )


@check("foreign_key_type_mismatch", "schema_design", engines=ENGINES)
def foreign_key_type_mismatch(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Foreign keys whose referencing column's type or character set differs from the referenced key's.

    Why: InnoDB normally refuses them (same size and sign for integers, same character set for strings),
    so they exist because they were created or altered with ``foreign_key_checks = 0``; a narrower integer
    fails inserts once the key grows past it, and a different character set makes joins convert one
    side, so its index cannot be used. ``VARCHAR`` lengths may differ (never reported).
    Fix: make the referencing column's type exactly the referenced key's: InnoDB will not change a column
    a foreign key uses, so the constraint is dropped and added back around the change (a table copy).
    """
    for fk in foreign_keys(snap):
        ckey, pkey = (fk["schema"], fk["table"]), (fk.get("referenced_schema"), fk.get("referenced_table"))
        for cname, pname in zip(fk["columns"], fk["referenced_columns"]):
            ccol, pcol = _col(snap, ckey, cname), _col(snap, pkey, pname)
            issue = _type_issue(ccol, pcol)
            if not issue:
                continue
            null = "" if ccol.get("is_nullable") else " NOT NULL"
            charset = f" CHARACTER SET {pcol['charset']}" if pcol.get("charset") else ""
            yield Finding(
                check="foreign_key_type_mismatch",
                severity=issue[0],
                title=f"Foreign key {fk.get('constraint')}: {ckey[1]}.{cname} is {ccol.get('column_type')}, "
                      f"{pkey[1]}.{pname} is {pcol.get('column_type')}",
                object={"schema": ckey[0], "table": ckey[1], "columns": [cname]},
                evidence={"constraint": fk.get("constraint"), "column_type": ccol.get("column_type"),
                          "charset": ccol.get("charset"), "references": f"{pkey[0]}.{pkey[1]}({pname})",
                          "referenced_type": pcol.get("column_type"), "referenced_charset": pcol.get("charset"),
                          "why": issue[1]},
                recommendation=f"Give {ckey[1]}.{cname} the referenced key's exact type: {issue[1]}.",
                sql=(f"ALTER TABLE {mysql_ident(*ckey)} DROP FOREIGN KEY {mysql_ident(fk.get('constraint'))}, "
                     f"MODIFY {mysql_ident(cname)} {pcol.get('column_type')}{charset}{null};  -- a table copy\n"
                     f"ALTER TABLE {mysql_ident(*ckey)} ADD CONSTRAINT {mysql_ident(fk.get('constraint'))} FOREIGN KEY "
                     f"({', '.join(mysql_ident(c) for c in fk['columns'])}) REFERENCES {mysql_ident(*pkey)} "
                     f"({', '.join(mysql_ident(c) for c in fk['referenced_columns'])});"),
            )


# -- key types that will not scale ----------------------------------------------------------------------

def _ai_rows(snap: Any) -> list[dict[str, Any]]:
    cols = snap["columns"]
    if cols.empty or "ai_column" not in cols:
        return []
    return memo(cols, "design_ai", lambda: [r for r in records(cols) if r.get("ai_column")])


@check("int_key_growth", "schema_design", engines=ENGINES, warn_years=2.0, info_years=5.0, min_observed_s=3600.0,
       max_used_pct=50.0, growth_days=90.0)
def int_key_growth(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """``AUTO_INCREMENT`` keys narrower than BIGINT on tables that grow fast enough to exhaust them.

    Why: at the type's limit every INSERT fails, and widening the key later copies the table and every
    table that references it. Growth: the AUTO_INCREMENT values used between the previous run and this
    one (with a baseline); else the table's own history (AUTO_INCREMENT / time since the table was
    created or rebuilt); else rows inserted since the server started (performance_schema table I/O: an
    upper bound, as rows inserted with explicit ids use no value) — each over at least
    ``min_observed_s``. Reported when the key
    runs out within ``warn_years`` (warning) or ``info_years`` (info). Keys past ``max_used_pct`` are
    ``sequence_exhaustion``'s; with a previous run, keys running out within ``growth_days`` are the
    ``growth`` check's.
    Fix: ``BIGINT UNSIGNED`` for the key and every referencing column, well before the date.
    """
    io, seconds, basis = _table_io(snap)
    tabs = tables(snap)
    now = None
    server = records(snap["server"])
    if server:
        now = server[0].get("server_now")
    for r in _ai_rows(snap):
        key = (r["schema"], r["table"])
        dtype = str(r.get("ai_data_type") or "").lower()
        if dtype == "bigint" or r.get("ai_max_value") is None:
            continue
        nxt = (tabs.get(key) or {}).get("auto_increment")
        if nxt is None:
            continue
        limit, current = float(r["ai_max_value"]), max(float(nxt) - 1, 0.0)
        used = pct(current, limit)
        if used >= t["max_used_pct"]:
            continue
        rate, measured = None, None
        previous = getattr(snap, "previous", None)
        before = (tables(previous).get(key) or {}).get("auto_increment") if previous is not None else None
        created = (tabs.get(key) or {}).get("created_at")
        age = _age_s(created, now)
        if before is not None and basis.startswith("interval") and seconds and seconds >= t["min_observed_s"]:
            if float(nxt) > float(before):  # the key values handed out between the two runs
                rate = (float(nxt) - float(before)) / seconds
                measured = window_text(seconds, basis) + ", AUTO_INCREMENT values used"
        elif age and age >= t["min_observed_s"] and current > 0:  # the table's own history
            rate, measured = current / age, window_text(age, "since the table was created or last rebuilt")
        else:  # rows inserted since the server started (explicit ids count too: an upper bound)
            inserts = float((io.get(key) or {}).get("inserts") or 0)
            if seconds and seconds >= t["min_observed_s"] and inserts > 0:
                rate, measured = inserts / seconds, window_text(seconds, basis) + ", performance_schema inserts"
        if not rate:
            continue
        years = (limit - current) / rate / SECONDS_PER_YEAR
        if years > t["info_years"] or (getattr(snap, "previous", None) is not None
                                       and years * 365.25 <= t["growth_days"]):
            continue
        referencing = [fk for fk in foreign_keys(snap) if (fk.get("referenced_schema"), fk.get("referenced_table")) ==
                       key and [c.lower() for c in fk["referenced_columns"]] == [str(r["ai_column"]).lower()]]
        fixes = [f"ALTER TABLE {mysql_ident(*key)} MODIFY {mysql_ident(r['ai_column'])} BIGINT UNSIGNED NOT NULL "
                 "AUTO_INCREMENT;  -- copies the table: pt-online-schema-change / gh-ost on a busy one"]
        fixes += [f"ALTER TABLE {mysql_ident(fk['schema'], fk['table'])} MODIFY {mysql_ident(c)} BIGINT UNSIGNED;"
                  "  -- the referencing column too (restate NOT NULL if it has it)" for fk in referencing
                  for c in fk["columns"]]
        yield Finding(
            check="int_key_growth",
            severity="warning" if years <= t["warn_years"] else "info",
            title=f"{key[1]}.{r['ai_column']} ({r.get('ai_column_type')}) runs out in about {years:,.1f} years at "
                  f"{rate * 86400:,.0f} new keys a day",
            object={"schema": key[0], "table": key[1], "columns": [r["ai_column"]]},
            evidence={"type": r.get("ai_column_type"), "limit": int(limit), "current": int(current),
                      "used_pct": round(used, 3), "per_day": round(rate * 86400), "years_left": round(years, 2),
                      "measured": measured,
                      "referenced_by": [f"{fk['table']}.{fk.get('constraint')}" for fk in referencing] or None},
            recommendation=(f"At the measured insert rate the key reaches {int(limit):,} in about {years:,.1f} years; "
                            "widen it (and the referencing columns) to BIGINT UNSIGNED while the table is small enough "
                            "to copy."),
            sql="\n".join(fixes),
        )


def _age_s(created: Any, now: Any) -> float | None:
    import pandas as pd

    if created is None or now is None:
        return None
    try:
        return float((pd.Timestamp(now) - pd.Timestamp(created)).total_seconds())
    except (TypeError, ValueError):
        return None


UUID_TYPES = {"uuid", "char(36)", "varchar(36)", "binary(16)", "char(32)", "varchar(32)", "varbinary(16)"}


@check("random_uuid_key", "schema_design", engines=ENGINES, min_index_bytes=1073741824)
def random_uuid_key(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """UUID primary keys (``UUID``, ``CHAR(36)``, ``BINARY(16)``…) on very large InnoDB tables
    (clustered index of ``min_index_bytes`` or more): info.

    Why: InnoDB stores the rows in primary-key order, so random keys insert into random pages of the
    whole table (page splits, half-empty pages, the whole table hot in the buffer pool), and every
    secondary index carries the 16-36-byte key in each entry. MySQL's ``UUID()`` is version 1, whose
    leading bytes are the fast-changing time bits: random order too unless stored with
    ``UUID_TO_BIN(…, 1)``. Info: uuids have good reasons (client-made ids, merged data sets).
    Fix: time-ordered keys (UUIDv7 made by the application, or ``UUID_TO_BIN(UUID(), 1)`` in MySQL 8), or a
    BIGINT AUTO_INCREMENT key with the uuid as a unique secondary key.
    """
    tabs = tables(snap)
    for key, ixs in sorted(indexes_by_table(snap).items()):
        pk = next((i for i in ixs if i["is_primary"]), None)
        if pk is None or len(pk["columns"]) != 1:
            continue
        col = _col(snap, key, pk["columns"][0])
        ctype = _base_type_len(col.get("column_type"))
        if ctype not in UUID_TYPES:
            continue
        size = float((tabs.get(key) or {}).get("data_bytes") or pk.get("index_bytes") or 0)
        if size < t["min_index_bytes"]:
            continue
        secondary = [i["index"] for i in ixs if not i["is_primary"]]
        yield Finding(
            check="random_uuid_key",
            severity="info",
            title=f"{key[1]}.{pk['columns'][0]} ({col.get('column_type')}) is a uuid primary key on a "
                  f"{human_bytes(size)} clustered index",
            object={"schema": key[0], "table": key[1], "columns": list(pk["columns"]), "index": "PRIMARY"},
            evidence={"clustered_bytes": int(size), "rows_estimate": (tabs.get(key) or {}).get("rows_estimate"),
                      "secondary_indexes": secondary, "key_bytes": 16 if "binary" in ctype or ctype == "uuid" else 36},
            recommendation=("Rows are stored in key order, so random uuids insert into random pages of the whole "
                            f"table, and each of the {len(secondary)} secondary index(es) repeats the key in every "
                            "entry. Use time-ordered keys (UUIDv7, or UUID_TO_BIN(UUID(), 1) on MySQL 8) or a BIGINT "
                            "AUTO_INCREMENT primary key with the uuid as a unique secondary key."),
            sql=None,
        )


def _base_type_len(column_type: Any) -> str:
    text = str(column_type or "").lower().replace(" ", "")
    return text.split("character")[0]


# -- time zones -------------------------------------------------------------------------------------------

@check("timestamp_without_tz", "schema_design", engines=ENGINES, name_pattern=EVENT_TIME_NAMES,
       group_above=GROUP_ABOVE)
def timestamp_without_tz(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """``DATETIME`` columns that record when something happened (names matching ``name_pattern``): info,
    one finding per table, or one per schema where more than ``group_above`` of its tables have them (a
    convention, not a table's slip).

    Why: ``DATETIME`` stores a wall-clock reading without a zone; if every writer uses UTC it is fine, but
    an application serving several time zones (or a server whose ``time_zone`` is local, with DST)
    stores the same instant differently per writer, and an hour repeats every autumn. ``TIMESTAMP``
    stores UTC and converts per session, but ends in 2038 (MariaDB 11.5+ on 64-bit: 2106). Never a
    warning: local wall-clock values (opening hours) are correct in DATETIME, and the statistics cannot
    tell the two apart.
    Fix: write UTC in every session (``SET time_zone = '+00:00'``) and convert on display, or TIMESTAMP
    where its range is enough.
    """
    zones = {"time_zone": setting(snap, "time_zone"), "system_time_zone": setting(snap, "system_time_zone")}
    hits = []
    for key, cols in sorted(_columns(snap).items()):
        found = [c for c in cols.values() if str(c.get("data_type") or "").lower() == "datetime"
                 and event_time_name(c["column"], t["name_pattern"])]
        if found:
            hits.append((key, found))
    for schema, items in by_schema(hits, int(t["group_above"])):
        if schema is None:
            key, cols = items[0]
            names = [c["column"] for c in cols]
            yield Finding(
                check="timestamp_without_tz",
                severity="info",
                title=f"{key[1]} records event times in DATETIME, without a time zone ({', '.join(names)})",
                object={"schema": key[0], "table": key[1], "columns": names},
                evidence={"columns": {c["column"]: c.get("column_type") for c in cols}, **zones},
                recommendation=_DATETIME_ADVICE,
                sql=None,
            )
            continue
        evidence = schema_evidence(items, lambda c: c.get("column_type"))
        yield Finding(
            check="timestamp_without_tz",
            severity="info",
            title=(f"{tables_text(len(items))} of schema {schema} record event times in DATETIME, without a time zone "
                   f"({evidence['column_count']} columns)"),
            object={"schema": schema},
            evidence={**evidence, **zones},
            recommendation=_DATETIME_ADVICE + f" A convention across {len(items)} tables: decide it once.",
            sql=None,
        )


_DATETIME_ADVICE = ("DATETIME keeps wall-clock readings without a zone. If the application serves more than one time "
                    "zone, make every session write UTC (SET time_zone = '+00:00', or the driver's setting) and "
                    "convert on display; TIMESTAMP stores UTC itself but ends in 2038.")


__all__ = ["foreign_key_type_mismatch", "int_key_growth", "missing_foreign_key", "money_float", "random_uuid_key",
           "timestamp_without_tz"]
