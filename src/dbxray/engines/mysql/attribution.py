"""Statements run without a default database, attributed to the database their tables are in.

performance_schema files each digest under the session's default schema; ``SELECT … FROM shop.orders``
from a session with none is filed under SCHEMA_NAME NULL, and would be missing from a report of
``shop``. A DBA reading the digest sees which database it works on: so does this, by the tables
sqlglot finds in the digest text (``FROM `shop` . `orders```). Statements that name no table of a
user database (dbxray's own catalog reads, ``SELECT 1``) are dropped.
"""

from __future__ import annotations

import re
from typing import Any

SYSTEM = {"mysql", "information_schema", "performance_schema", "sys"}
ATTRIBUTED = "tables named in the digest (run without a default database)"


def schemas_named(text: str) -> list[str]:
    """The databases whose tables a digest names, in order of appearance (sqlglot; for a digest the
    server cut short, the ```db` . `table``` qualifiers the text still shows)."""
    from dbxray.engines.mysql.advisor.parse import normalize_digest

    sql = normalize_digest(text)
    if sql is not None:
        try:
            import sqlglot
            from sqlglot import exp

            out: list[str] = []
            for tree in sqlglot.parse(sql, read="mysql"):
                for t in tree.find_all(exp.Table) if tree is not None else ():
                    if t.db and t.db not in out:
                        out.append(t.db)
            return out
        except Exception:
            pass
    # truncated or unparsable: qualified names as performance_schema prints them
    found = re.findall(r"(?:FROM|JOIN|UPDATE|INTO|TABLE|,)\s+`((?:[^`]|``)+)`\s*\.\s*`", str(text or ""),
                       flags=re.IGNORECASE)
    out = []
    for name in (f.replace("``", "`") for f in found):
        if name not in out:
            out.append(name)
    return out


def attribute_statements(frame: Any, database: str | None) -> Any:
    """The statements frame with its NULL-schema rows attributed (``schema`` set, ``schema_source``
    saying how) or dropped."""
    if frame is None or frame.empty or "schema" not in frame or "query" not in frame:
        return frame
    missing = frame["schema"].isna()
    if not missing.any():
        return frame
    frame = frame.copy()
    if "schema_source" not in frame:
        frame["schema_source"] = None
    keep = []
    for i, (is_null, text) in enumerate(zip(missing, frame["query"])):
        if not is_null:
            keep.append(True)
            continue
        named = [s for s in schemas_named(str(text or "")) if s.lower() not in SYSTEM]
        target = database if database and database in named else (None if database else next(iter(named), None))
        if target is None:
            keep.append(False)
            continue
        frame.iat[i, frame.columns.get_loc("schema")] = target
        frame.iat[i, frame.columns.get_loc("schema_source")] = ATTRIBUTED
        keep.append(True)
    return frame[keep].reset_index(drop=True)


__all__ = ["ATTRIBUTED", "attribute_statements", "schemas_named"]
