"""The DDL of a candidate (ALTER TABLE ... ADD INDEX, online where InnoDB allows) and its finding."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from dbxray.engines.mysql.advisor.candidates import Candidate
from dbxray.engines.mysql.advisor.catalog import columns_by_table
from dbxray.engines.mysql.advisor.constants import LONG_TEXT, MAX_KEY_BYTES, NO_HYPOTHETICAL, PREFIX_CHARS
from dbxray.engines.mysql.quoting import mysql_ident
from dbxray.findings import Finding


def index_name(table: str, columns: list[str], existing: set[str]) -> str:
    base = "ix_" + "_".join([re.sub(r"\W+", "_", table)] + [re.sub(r"\W+", "_", c) for c in columns])
    if len(base) > 64:
        digest = hashlib.md5(base.encode()).hexdigest()[:8]
        base = base[:55] + "_" + digest
    name, n = base, 2
    while name.lower() in existing:
        name = f"{base[:60]}_{n}"
        n += 1
    return name


def _key_part(col: str, meta: dict[str, Any] | None) -> tuple[str, str | None]:
    """A quoted key part, with a prefix length where the column is too long to index whole."""
    if meta:
        dtype = str(meta.get("data_type") or "").lower()
        length = meta.get("max_length")
        per_char = 4 if str(meta.get("charset") or "").startswith("utf8mb4") else 3
        if dtype in LONG_TEXT:
            return f"{mysql_ident(col)}({PREFIX_CHARS})", f"{col} is {dtype}: indexed on its first {PREFIX_CHARS} " \
                                                          "characters"
        if dtype in ("varchar", "varbinary") and length and float(length) * per_char > MAX_KEY_BYTES:
            return f"{mysql_ident(col)}({PREFIX_CHARS})", f"{col} is {meta.get('column_type')}: too long for a " \
                                                          f"whole-column key, indexed on {PREFIX_CHARS} characters"
    return mysql_ident(col), None


def add_index_sql(cand: Candidate, snap: Any) -> tuple[str, str, list[str]]:
    """(ALTER TABLE ... ADD INDEX, the index name, notes on prefix lengths)."""
    from dbxray.engines.mysql.checks.helpers import indexes_by_table, tables

    existing = {str(ix["index"]).lower() for ix in indexes_by_table(snap).get((cand.schema, cand.table), [])}
    name = index_name(cand.table, cand.columns, existing)
    cols_meta = columns_by_table(snap).get((cand.schema, cand.table), {})
    parts, notes = [], []
    for col in cand.columns:
        part, note = _key_part(col, cols_meta.get(col.lower()))
        parts.append(part)
        if note:
            notes.append(note)
    engine = str(tables(snap).get((cand.schema, cand.table), {}).get("engine") or "").lower()
    online = ", ALGORITHM=INPLACE, LOCK=NONE" if engine == "innodb" else ""
    sql = (f"ALTER TABLE {mysql_ident(cand.schema, cand.table)} ADD INDEX {mysql_ident(name)} "
           f"({', '.join(parts)}){online};")
    return sql, name, notes


def finding_for(cand: Candidate, snap: Any, t: dict[str, Any], explain: dict[str, Any] | None = None) -> Finding:
    from dbxray.engines.mysql.checks.helpers import tables

    sql, name, notes = add_index_sql(cand, snap)
    stmts = sorted(cand.statements, key=lambda s: -(s.get("total_ms") or 0))
    calls = sum(s.get("calls") or 0 for s in stmts)
    total_ms = round(sum(s.get("total_ms") or 0 for s in stmts), 1)
    rows = tables(snap).get((cand.schema, cand.table), {}).get("rows_estimate")
    sources = sorted({s.get("source") for s in stmts if s.get("source")})
    evidence: dict[str, Any] = {
        "proven": False,
        "proof": NO_HYPOTHETICAL,
        "statements": stmts[:10],
        "calls": calls,
        "total_ms": total_ms,
        "table_rows": rows,
        "column_order": "equality columns first, most selective first, then one range or sort column",
        "cardinality": cand.cardinality,
        "source": ", ".join(sources),
    }
    if notes:
        evidence["prefix_lengths"] = notes
    if cand.replaces:
        evidence["makes_redundant"] = cand.replaces
    if explain:
        evidence.update(explain)
    severity = "warning" if calls >= t["min_calls"] else "info"
    first = stmts[0] if stmts else {}
    recommendation = (f"Index {cand.table}({', '.join(cand.columns)}): "
                      + (f"{len(stmts)} statement(s) read about {first.get('rows_examined_per_call', rows):,} rows "
                         f"per call to return {first.get('rows_returned_per_call', '?')}. "
                         if first.get("rows_examined_per_call") else "the statement scans the whole table. ")
                      + "The ALTER runs online on InnoDB (ALGORITHM=INPLACE, LOCK=NONE) but reads the whole table; "
                        "run it off-peak. " + NO_HYPOTHETICAL)
    if cand.replaces:
        recommendation += f" Afterwards {', '.join(cand.replaces)} is a left prefix of it and can be dropped."
    return Finding(
        check="missing_index",
        severity=severity,
        title=f"Missing index on {cand.table}({', '.join(cand.columns)})"
              + (f" for {len(stmts)} statement(s), {calls:,} calls" if calls else ""),
        object={"schema": cand.schema, "table": cand.table, "columns": list(cand.columns), "index": name,
                "query_id": first.get("query_id")},
        evidence=evidence,
        recommendation=recommendation,
        sql=sql,
    )


# -- EXPLAIN --------------------------------------------------------------------------------------------
