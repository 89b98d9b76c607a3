"""Schema-design checks for PostgreSQL: what a senior engineer sees in the schema, read against the live
statistics and the statements that actually run.

Columns and their types come from the ``column_types`` collector, table storage from ``table_storage``,
and the workload from pg_stat_statements parsed with the index advisor's analyzer
(:mod:`dbxray.engines.postgres.design.workload`). Rates use the interval with a baseline, else the
counters since the statistics reset (the evidence says which).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dbxray.checks import check
from dbxray.checks.design_rules import (
    EVENT_TIME_NAMES,
    GROUP_ABOVE,
    LISTED,
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
from dbxray.engines.postgres.checks import ENGINES
from dbxray.engines.postgres.checks.helpers import (
    human_bytes,
    memo,
    pg_indexes_by_table,
    qualified,
    records,
    short_query,
    stats_age,
    table_rows,
)
from dbxray.engines.postgres.design.workload import columns_by_table, primary_key, top
from dbxray.engines.postgres.quoting import pg_ident
from dbxray.findings import Finding
from dbxray.report.interval_frames import window

INT_LIMITS = {"int2": 32767, "int4": 2147483647, "int8": 9223372036854775807}
INT_NAMES = {"int2": "smallint", "int4": "integer", "int8": "bigint"}
STRINGS = {"text", "varchar"}
LARGE_TYPES = {"text", "jsonb", "json", "bytea", "xml", "tsvector"}  # the values that end up in TOAST
SECONDS_PER_YEAR = 365.25 * 86400


def _tables_window(snap: Any) -> tuple[dict[tuple[str, str], dict[str, Any]], float | None, str]:
    """Table counters over the interval (or since the statistics reset), with the seconds they cover."""
    frame, seconds, basis = window(snap, "tables", stats_age(snap)[0])
    return memo(frame, "design_tables", lambda: {(r["schema"], r["table"]): r for r in records(frame)}), seconds, basis


def _storage(snap: Any) -> dict[tuple[str, str], dict[str, Any]]:
    frame = snap["table_storage"]
    return memo(frame, "design_storage", lambda: {(r["schema"], r["table"]): r for r in records(frame)})


def _row_width(snap: Any, key: tuple[str, str]) -> tuple[float | None, str]:
    """Average bytes of a row in the heap: pg_stats widths (+ the 24-byte tuple header), else heap / rows."""
    cols = columns_by_table(snap).get(key, [])
    widths = [c.get("avg_width") for c in cols]
    if cols and all(w is not None for w in widths):
        return float(sum(widths)) + 24.0, "pg_stats avg_width"
    st = _storage(snap).get(key) or {}
    rows = st.get("reltuples") or 0
    if rows and rows > 0 and st.get("heap_bytes"):
        return float(st["heap_bytes"]) / float(rows), "heap bytes / rows"
    return None, "unknown"


def _col(snap: Any, key: tuple[str, str], column: str) -> dict[str, Any]:
    return next((c for c in columns_by_table(snap).get(key, ()) if c["column"] == column), {})


# -- money in floating point ----------------------------------------------------------------------------

@check("money_float", "schema_design", engines=ENGINES, name_pattern=MONEY_NAMES, not_money_pattern=NOT_MONEY_NAMES,
       scale=4)
def money_float(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Money kept in floating point: ``real`` / ``double precision`` columns whose name says money
    (``price``, ``amount``, ``total_cost``… — ``name_pattern``, whole words of the name, unless a word of
    ``not_money_pattern`` says it measures something else: ``tax_rate``, ``total_weight``) or that sit next
    to a ``currency`` column.

    Why: binary floating point cannot hold most decimal fractions (0.10 is 0.1000000000000000055…), so
    sums drift by cents, equality tests on amounts fail and rounding differs between the database and
    the application; accounting reconciliations break.
    Fix: ``numeric(19, scale)`` (``scale`` = 4 by default: cents plus room for rates); the ALTER
    rewrites the table under an ACCESS EXCLUSIVE lock, so plan it (or migrate through a new column).
    """
    rows = table_rows(snap)
    for key, cols in sorted(columns_by_table(snap).items()):
        names = [c["column"] for c in cols]
        currency = has_currency_sibling(names)
        for c in cols:
            if c.get("base_type") not in ("float4", "float8"):
                continue
            by_name = money_name(c["column"], t["name_pattern"], t["not_money_pattern"])
            if not by_name and not (currency and money_name("amount_" + c["column"], "amount",
                                                            t["not_money_pattern"])):
                continue  # a currency column next to it says money, unless the name says otherwise (risk_score)
            scale = int(t["scale"])
            target = qualified(*key)
            col = pg_ident(c["column"])
            yield Finding(
                check="money_float",
                severity="warning",
                title=f"{key[1]}.{c['column']} holds money in floating point ({c['type']})",
                object={"schema": key[0], "table": key[1], "columns": [c["column"]]},
                evidence={"type": c["type"],
                          "why_money": "its name" if by_name else f"the {currency} column next to it",
                          "rows": (rows.get(key) or {}).get("n_live_tup"),
                          "example": "SELECT 0.1::float8 + 0.2::float8 = 0.3  -- false"},
                recommendation=(f"Store {c['column']} as numeric: floating point cannot represent most cents exactly, "
                                "so sums and comparisons of amounts drift. The change rewrites the table under an "
                                "ACCESS EXCLUSIVE lock: run it in a maintenance window, or add a numeric column, "
                                "backfill it in batches and switch."),
                sql=(f"ALTER TABLE {target} ALTER COLUMN {col} TYPE numeric(19, {scale}) "
                     f"USING round({col}::numeric, {scale});  -- rewrites the table under an ACCESS EXCLUSIVE lock"),
            )


# -- join columns without a foreign key, foreign keys with mismatched types ---------------------------------

def _foreign_keys(snap: Any) -> list[dict[str, Any]]:
    return records(snap["foreign_keys"])


def _fk_index(snap: Any) -> set[tuple]:
    out = set()
    for fk in _foreign_keys(snap):
        cols, refs = tuple(fk.get("columns") or ()), tuple(fk.get("ref_columns") or ())
        out.add((fk["schema"], fk["table"], cols, fk["ref_schema"], fk["ref_table"], refs))
    return out


def _type_issue(child: dict[str, Any], parent: dict[str, Any]) -> tuple[str, str] | None:
    """(severity, why) when a referencing column's type differs from the key it points at in a way that
    costs something; None when they are the same or binary-compatible (text / varchar)."""
    ct, pt = child.get("type"), parent.get("type")
    cb, pb = child.get("base_type"), parent.get("base_type")
    if not ct or not pt or ct == pt:
        return None
    if cb in INT_LIMITS and pb in INT_LIMITS:
        if INT_LIMITS[cb] < INT_LIMITS[pb]:
            return ("warning", f"{ct} cannot hold every {pt} key: once the referenced key passes "
                               f"{INT_LIMITS[cb]:,}, inserting a row that points at it fails")
        if INT_LIMITS[cb] > INT_LIMITS[pb]:
            return ("info", f"{ct} is wider than the {pt} key it references: harmless, but every value costs "
                            f"{(INT_LIMITS[cb].bit_length() - INT_LIMITS[pb].bit_length()) // 8} more bytes")
        return None
    if cb in STRINGS and pb in STRINGS:
        return None  # text and varchar are binary-compatible: no cast, the same operators and indexes
    if {cb, pb} == {"timestamp", "timestamptz"}:
        return ("warning", f"{ct} against {pt}: every comparison converts through the session's TimeZone (not "
                           "immutable), so the join cannot use an index on the converted side and the result "
                           "depends on the session's time zone")
    if cb == pb:
        return ("info", f"{ct} against {pt}: the same type with a different modifier (length, precision)")
    return ("warning", f"{ct} against {pt}: every join and every foreign-key check casts one side, so an index on "
                       "that side cannot be used and the planner estimates the join poorly")


def _fk_name(table: str, column: str) -> str:
    return f"{table}_{column}_fkey"[:63]


@check("missing_foreign_key", "schema_design", engines=ENGINES, min_calls=100, max_statements=200)
def missing_foreign_key(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Join columns without a foreign key: the workload joins (or filters with ``IN (SELECT …)``) a column
    against another table's single-column primary key, and no foreign key says so.

    Why: nothing stops orphans (rows pointing at a key that was deleted or never existed), so every
    reader must defend against them; the planner also uses foreign keys to estimate join sizes (PostgreSQL
    9.6+), and without one it multiplies selectivities and misestimates multi-column joins. Found from the
    parse trees of the ``max_statements`` heaviest statements; a warning when the joining statements ran at
    least ``min_calls`` times, otherwise info. Joins between two primary keys (1:1 tables) are left
    out: which side references which is a design decision the statistics cannot make.
    Fix: check for orphans, add the constraint ``NOT VALID`` (instant) and ``VALIDATE`` it (a SHARE UPDATE
    EXCLUSIVE lock: reads and writes go on); then index the referencing column (``missing_fk_index``).
    """
    fks = _fk_index(snap)
    found: dict[tuple, dict[str, Any]] = {}
    for ws in top(snap, t["max_statements"]):
        for a, b in ws.pairs:
            for child, parent in ((a, b), (b, a)):
                if child[:2] == parent[:2]:
                    continue
                pk_parent = primary_key(snap, parent[0], parent[1])
                if pk_parent != [parent[2]]:
                    continue
                pk_child = primary_key(snap, child[0], child[1])
                if pk_child == [child[2]]:
                    continue  # both sides are primary keys: a 1:1 link whose direction is the designer's call
                if (child[0], child[1], (child[2],), parent[0], parent[1], (parent[2],)) in fks or \
                        (parent[0], parent[1], (parent[2],), child[0], child[1], (child[2],)) in fks:
                    continue
                entry = found.setdefault((child, parent), {"calls": 0.0, "statements": []})
                entry["calls"] += ws.calls
                if ws.queryid not in [s["query_id"] for s in entry["statements"]]:
                    entry["statements"].append({"query_id": ws.queryid, "calls": int(ws.calls),
                                                "query": short_query(ws.query, 200)})
    rows = table_rows(snap)
    for (child, parent), entry in sorted(found.items(), key=lambda kv: -kv[1]["calls"]):
        ckey, pkey = child[:2], parent[:2]
        ccol, pcol = _col(snap, ckey, child[2]), _col(snap, pkey, parent[2])
        issue = _type_issue(ccol, pcol)
        target, ref = qualified(*ckey), qualified(*pkey)
        c, p = pg_ident(child[2]), pg_ident(parent[2])
        name = _fk_name(ckey[1], child[2])
        lines = []
        if issue and issue[0] == "warning":
            lines.append(f"ALTER TABLE {target} ALTER COLUMN {c} TYPE {pcol.get('type')};  -- align the types first: "
                         "rewrites the table under an ACCESS EXCLUSIVE lock")
        lines += [f"-- orphans first (must be 0): SELECT count(*) FROM {target} c WHERE c.{c} IS NOT NULL AND NOT "
                  f"EXISTS (SELECT 1 FROM {ref} p WHERE p.{p} = c.{c});",
                  f"ALTER TABLE {target} ADD CONSTRAINT {pg_ident(name)} FOREIGN KEY ({c}) REFERENCES {ref} ({p}) "
                  "NOT VALID;",
                  f"ALTER TABLE {target} VALIDATE CONSTRAINT {pg_ident(name)};  -- SHARE UPDATE EXCLUSIVE: reads and "
                  "writes continue"]
        calls = entry["calls"]
        yield Finding(
            check="missing_foreign_key",
            severity="warning" if calls >= t["min_calls"] else "info",
            title=f"{ckey[1]}.{child[2]} is joined to {pkey[1]}.{parent[2]} ({int(calls):,} calls) without a "
                  "foreign key",
            object={"schema": ckey[0], "table": ckey[1], "columns": [child[2]]},
            evidence={"references": f"{pkey[0]}.{pkey[1]}({parent[2]})", "join_calls": int(calls),
                      "statements": entry["statements"][:5], "column_type": ccol.get("type"),
                      "referenced_type": pcol.get("type"), "type_mismatch": issue[1] if issue else None,
                      "rows": (rows.get(ckey) or {}).get("n_live_tup"),
                      "referenced_rows": (rows.get(pkey) or {}).get("n_live_tup")},
            recommendation=(f"The workload treats {ckey[1]}.{child[2]} as a reference to {pkey[1]}.{parent[2]}, but "
                            "nothing enforces it: orphans can appear, and the planner cannot use the relationship "
                            "to estimate the join. Count the orphans, then add the foreign key NOT VALID and "
                            "VALIDATE it (neither blocks writes for long)"
                            + (f"; the types differ ({issue[1]})" if issue else "") + "."),
            sql="\n".join(lines),
        )


@check("foreign_key_type_mismatch", "schema_design", engines=ENGINES)
def foreign_key_type_mismatch(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Foreign keys whose referencing column's type differs from the referenced key's.

    Why: ``integer`` pointing at a ``bigint`` key starts failing inserts once the key passes 2,147,483,647;
    ``numeric`` against ``integer``, ``text`` against ``uuid`` or ``timestamp`` against ``timestamptz``
    make every join and every foreign-key check cast one side, so an index on that side cannot be used
    and join estimates suffer (warning). A wider referencing integer, or the same type with another
    length or precision, costs little (info). ``text`` / ``varchar`` pairs are binary-compatible and
    never reported.
    Fix: change the referencing column to the referenced key's exact type (a table rewrite under an
    ACCESS EXCLUSIVE lock).
    """
    for fk in _foreign_keys(snap):
        ckey, pkey = (fk["schema"], fk["table"]), (fk["ref_schema"], fk["ref_table"])
        for cname, pname in zip(fk.get("columns") or (), fk.get("ref_columns") or ()):
            ccol, pcol = _col(snap, ckey, cname), _col(snap, pkey, pname)
            issue = _type_issue(ccol, pcol)
            if not issue:
                continue
            severity, why = issue
            yield Finding(
                check="foreign_key_type_mismatch",
                severity=severity,
                title=f"Foreign key {fk['name']}: {ckey[1]}.{cname} is {ccol.get('type')}, {pkey[1]}.{pname} is "
                      f"{pcol.get('type')}",
                object={"schema": ckey[0], "table": ckey[1], "columns": [cname]},
                evidence={"constraint": fk["name"], "column_type": ccol.get("type"),
                          "references": f"{pkey[0]}.{pkey[1]}({pname})", "referenced_type": pcol.get("type"),
                          "why": why},
                recommendation=f"Give {ckey[1]}.{cname} the referenced key's type ({pcol.get('type')}): {why}.",
                sql=(f"ALTER TABLE {qualified(*ckey)} ALTER COLUMN {pg_ident(cname)} TYPE {pcol.get('type')};"
                     "  -- rewrites the table under an ACCESS EXCLUSIVE lock (and re-checks the foreign key)"),
            )


# -- key types that will not scale --------------------------------------------------------------------

def _sequence_for(snap: Any, key: tuple[str, str], column: str) -> dict[str, Any] | None:
    """The sequence (or identity) that feeds ``key``'s ``column``: one lookup, not a scan of every sequence
    per table (50,000 of each would be quadratic)."""
    frame = snap["sequences"]

    def build() -> dict[tuple[str, str, str], dict[str, Any]]:
        out: dict[tuple[str, str, str], dict[str, Any]] = {}
        for s in records(frame):
            if s.get("table") is not None:
                out.setdefault((s.get("table_schema"), s["table"], s.get("column")), s)
        return out

    by_column = memo(frame, "design_sequence_for", build)
    return by_column.get((key[0], key[1], column)) or by_column.get((None, key[1], column))


def _referencing(snap: Any) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """{(schema, table): the foreign keys that reference it}."""
    frame = snap["foreign_keys"]

    def build() -> dict[tuple[str, str], list[dict[str, Any]]]:
        out: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for fk in _foreign_keys(snap):
            out.setdefault((fk["ref_schema"], fk["ref_table"]), []).append(fk)
        return out

    return memo(frame, "design_referencing", build)


@check("int_key_growth", "schema_design", engines=ENGINES, warn_years=2.0, info_years=5.0, min_observed_s=3600.0,
       max_used_pct=50.0, growth_days=90.0)
def int_key_growth(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """``smallint`` / ``integer`` surrogate keys (fed by a sequence or identity) on tables that grow fast
    enough to exhaust them.

    Why: at 2,147,483,647 (``integer``) every INSERT fails, and widening the key later rewrites the table
    and every table that references it under ACCESS EXCLUSIVE locks. The growth is the sequence values
    used between the previous run and this one (with a baseline), else the rows inserted since the
    statistics reset — at least ``min_observed_s`` of either, or the extrapolation is noise; the key's
    current value is its sequence's last value. Reported when the key runs out within ``warn_years``
    (warning) or ``info_years`` (info). Keys already past ``max_used_pct`` of their type are
    ``sequence_exhaustion``'s; with a previous run, keys running out within ``growth_days`` are the
    ``growth`` check's (measured between the two runs, with the date).
    Fix: ``bigint`` for the key, its sequence and every referencing column, well before the date.
    """
    tabs, seconds, basis = _tables_window(snap)
    if not seconds or seconds < t["min_observed_s"]:
        return
    for key, cols in sorted(columns_by_table(snap).items()):
        pk = [c for c in cols if c.get("in_primary_key")]
        if len(pk) != 1 or pk[0].get("base_type") not in ("int2", "int4"):
            continue
        col = pk[0]
        counters = tabs.get(key) or {}
        inserts = float(counters.get("n_tup_ins") or 0)
        limit = INT_LIMITS[col["base_type"]]
        seq = _sequence_for(snap, key, col["column"])
        if not seq or seq.get("last_value") is None:
            continue  # not a surrogate key (no sequence or identity feeds it): its growth is not the rows'
        current, source = float(seq["last_value"]), f"sequence {seq['sequence']}"
        used = pct(current, limit)
        if used >= t["max_used_pct"]:
            continue
        # with the previous run, the key values the sequence actually handed out; else rows inserted
        before = _sequence_for(snap.previous, key, col["column"]) if seq and getattr(snap, "previous", None) else None
        if before and before.get("last_value") is not None and basis.startswith("interval"):
            consumed, growth_from = float(seq["last_value"]) - float(before["last_value"]), "sequence values used"
        else:
            consumed, growth_from = inserts, "rows inserted"
        if consumed <= 0:
            continue
        rate = consumed / seconds
        years = (limit - current) / rate / SECONDS_PER_YEAR
        if years > t["info_years"] or (getattr(snap, "previous", None) is not None
                                         and years * 365.25 <= t["growth_days"]):
            continue
        severity = "warning" if years <= t["warn_years"] else "info"
        target, c = qualified(*key), pg_ident(col["column"])
        fixes = [f"ALTER TABLE {target} ALTER COLUMN {c} TYPE bigint;  -- rewrites the table under an ACCESS "
                 "EXCLUSIVE lock"]
        if seq and seq.get("sequence_type") != "bigint":
            fixes.append(f"ALTER SEQUENCE {qualified(seq['schema'], seq['sequence'])} AS bigint;")
        referencing = [fk for fk in _referencing(snap).get(key, ())
                       if list(fk.get("ref_columns") or ()) == [col["column"]]]
        for fk in referencing:
            for cname in fk.get("columns") or ():
                fixes.append(f"ALTER TABLE {qualified(fk['schema'], fk['table'])} ALTER COLUMN {pg_ident(cname)} "
                             "TYPE bigint;  -- the referencing column too")
        yield Finding(
            check="int_key_growth",
            severity=severity,
            title=f"{key[1]}.{col['column']} ({col['type']}) runs out in about {years:,.1f} years at "
                  f"{rate * 86400:,.0f} new keys a day",
            object={"schema": key[0], "table": key[1], "columns": [col["column"]]},
            evidence={"type": col["type"], "limit": limit, "current": int(current), "current_from": source,
                      "used_pct": round(used, 3), "growth": int(consumed), "growth_from": growth_from,
                      "per_day": round(rate * 86400), "years_left": round(years, 2),
                      "measured": window_text(seconds, basis),
                      "referenced_by": [f"{fk['schema']}.{fk['table']}.{fk['name']}" for fk in referencing] or None},
            recommendation=(f"At the measured insert rate the {col['type']} key reaches {limit:,} in about "
                            f"{years:,.1f} years; widen it to bigint (and the referencing columns) while the table "
                            "is small enough to rewrite, or migrate online through a new bigint column."),
            sql="\n".join(fixes),
        )


@check("random_uuid_key", "schema_design", engines=ENGINES, min_index_bytes=1073741824, max_correlation=0.3)
def random_uuid_key(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """``uuid`` primary keys of random (version 4) values on very large B-trees (``min_index_bytes``): info.

    Why: each insert lands on a random leaf page of the key's index, so the whole index must stay in
    memory to insert at speed, and after every checkpoint each first touch of a page writes a full page
    image to the WAL (write amplification). Random: the column default is ``gen_random_uuid()`` /
    ``uuid_generate_v4()``, or ``pg_stats`` finds no order in it (|correlation| < ``max_correlation``).
    It is info: uuids have good reasons (ids made by clients, merged data sets) and the cost is
    memory and WAL, not correctness.
    Fix: time-ordered uuids (version 7: ``uuidv7()`` in PostgreSQL 18, or generated by the application)
    keep inserts on the right edge of the index; or a bigint identity key with the uuid as a unique
    external id.
    """
    by_table = pg_indexes_by_table(snap)
    rows = table_rows(snap)
    for key, cols in sorted(columns_by_table(snap).items()):
        pk = [c for c in cols if c.get("in_primary_key")]
        if len(pk) != 1 or pk[0].get("base_type") != "uuid":
            continue
        col = pk[0]
        pk_index = next((ix for ix in by_table.get(key, ()) if ix.get("is_primary")), None)
        size = float((pk_index or {}).get("index_bytes") or 0)
        if size < t["min_index_bytes"]:
            continue
        default = str(col.get("default_expr") or "")
        corr = col.get("correlation")
        if "gen_random_uuid" in default or "uuid_generate_v4" in default:
            why = f"its default is {default}"
        elif corr is not None and abs(float(corr)) < t["max_correlation"]:
            why = f"pg_stats finds no order in its values (correlation {float(corr):.2f})"
        else:
            continue
        yield Finding(
            check="random_uuid_key",
            severity="info",
            title=f"{key[1]}.{col['column']} is a random uuid primary key on a {human_bytes(size)} index",
            object={"schema": key[0], "table": key[1], "columns": [col["column"]],
                    "index": pk_index.get("index") if pk_index else None},
            evidence={"index_bytes": int(size), "rows": (rows.get(key) or {}).get("n_live_tup"), "random_because": why,
                      "default": default or None, "correlation": corr},
            recommendation=("Random uuids scatter inserts over the whole index: it must stay cached, and every first "
                            "write to a page after a checkpoint logs a full page image. Time-ordered uuids (v7) keep "
                            "inserts at the index's right edge; or use a bigint identity key and keep the uuid as a "
                            "unique external id."),
            sql=(f"ALTER TABLE {qualified(*key)} ALTER COLUMN {pg_ident(col['column'])} SET DEFAULT uuidv7();"
                 "  -- PostgreSQL 18+: new rows only" if snap.version_num >= 180000 else None),
        )


# -- time zones ------------------------------------------------------------------------------------------

@check("timestamp_without_tz", "schema_design", engines=ENGINES, name_pattern=EVENT_TIME_NAMES,
       group_above=GROUP_ABOVE)
def timestamp_without_tz(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """``timestamp without time zone`` columns that record when something happened (names matching
    ``name_pattern``: ``created_at``, ``*_time``, ``sent``…): info, one finding per table, or one per
    schema where more than ``group_above`` of its tables have them (a convention, not a table's slip).

    Why: such a column stores a wall-clock reading with no zone. If every writer uses UTC it is fine;
    if the application serves several time zones (or its servers, or a DST change, move the clock) the
    same instant is stored as different values, comparisons across writers are wrong by hours, and an
    hour repeats every autumn. ``timestamptz`` stores the instant (UTC) and converts on display. Never a
    warning: a column deliberately holding local wall-clock times (opening hours, a calendar's "9:00")
    is correct as it is, and the statistics cannot tell the two apart.
    Fix: ``timestamptz``, interpreting the stored values in the zone they were written in (UTC here).
    """
    tz = snap.setting("TimeZone") or snap.setting("timezone")
    hits = []
    for key, cols in sorted(columns_by_table(snap).items()):
        found = [c for c in cols
                 if c.get("base_type") == "timestamp" and event_time_name(c["column"], t["name_pattern"])]
        if found:
            hits.append((key, found))
    for schema, items in by_schema(hits, int(t["group_above"])):
        if schema is None:
            yield _timestamp_table(*items[0], tz)
        else:
            yield _timestamp_schema(schema, items, tz)


_TZ_ADVICE = ("These columns store wall-clock readings without a zone. If every writer uses UTC, they are correct; "
              "if the application serves more than one time zone, the same instant is stored differently per "
              "writer. timestamptz stores the instant and converts on display. Use the zone the values were "
              "written in for the conversion (UTC assumed below).")


def _tz_alter(key: tuple[str, str], cols: list[Any]) -> str:
    alters = ", ".join(f"ALTER COLUMN {pg_ident(c['column'])} TYPE timestamptz USING {pg_ident(c['column'])} "
                       "AT TIME ZONE 'UTC'" for c in cols)
    return f"ALTER TABLE {qualified(*key)} {alters};"


def _timestamp_table(key: tuple[str, str], cols: list[Any], tz: Any) -> Finding:
    names = [c["column"] for c in cols]
    return Finding(
        check="timestamp_without_tz",
        severity="info",
        title=f"{key[1]} records event times without a time zone ({', '.join(names)})",
        object={"schema": key[0], "table": key[1], "columns": names},
        evidence={"columns": {c["column"]: c["type"] for c in cols}, "server_timezone": tz},
        recommendation=_TZ_ADVICE,
        sql=f"{_tz_alter(key, cols)}  -- rewrites the table under an ACCESS EXCLUSIVE lock",
    )


def _timestamp_schema(schema: str, items: list, tz: Any) -> Finding:
    evidence = schema_evidence(items, lambda c: c["type"])
    listed = items[:LISTED]
    more = len(items) - len(listed)
    return Finding(
        check="timestamp_without_tz",
        severity="info",
        title=(f"{tables_text(len(items))} of schema {schema} record event times without a time zone "
               f"({evidence['column_count']} columns)"),
        object={"schema": schema},
        evidence={**evidence, "server_timezone": tz},
        recommendation=(_TZ_ADVICE + f" A convention across {len(items)} tables: decide it once, then migrate "
                        "table by table (each ALTER rewrites its table under an ACCESS EXCLUSIVE lock)."
                        + (f" The SQL covers the first {len(listed)} tables; set [checks.timestamp_without_tz] "
                           f"group_above = {len(items)} for one finding per table." if more else "")),
        sql="\n".join(_tz_alter(key, cols) for key, cols in listed),
    )


__all__ = ["foreign_key_type_mismatch", "int_key_growth", "missing_foreign_key", "money_float", "random_uuid_key",
           "timestamp_without_tz"]
