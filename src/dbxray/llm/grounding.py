"""Which of the model's findings the report may keep, and why the others were dropped.

A finding is kept only when it is well formed, every ``evidence_id`` it cites is an id of the
evidence document, the table it names exists in the snapshot (and the index too, except for a
proposed ``missing_index``), and any DROP/TRUNCATE it runs comes with its undo. A kept finding
that repeats a rule finding (same check and object) stays, marked ``same_as`` that finding's id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from dbxray.findings import OBJECT_KEYS, SEVERITIES, Finding, natural_id

_DESTRUCTIVE = re.compile(r"\b(DROP|TRUNCATE)\b", re.IGNORECASE)
_UNDO = re.compile(r"\bundo\b", re.IGNORECASE)
_STRING_KEYS = ("check", "severity", "title", "recommendation", "sql")


@dataclass
class LLMFinding(Finding):
    """A finding the model made; ``same_as`` names the rule finding it agrees with."""

    same_as: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        if data.get("same_as") is None:
            data.pop("same_as", None)
        return data


@dataclass
class Grounded:
    kept: list[LLMFinding] = field(default_factory=list)
    dropped: list[dict[str, Any]] = field(default_factory=list)


def ground(items: Any, evidence: Any, rule_findings: list[Finding]) -> Grounded:
    """Sort the model's ``findings`` into kept (as report findings) and dropped (with the reason)."""
    out = Grounded()
    rule_ids = evidence.rule_ids or {natural_id(f): f.id for f in rule_findings if f.source != "llm"}
    taken: set[str] = {f.id for f in rule_findings}
    for n, item in enumerate(items if isinstance(items, list) else []):
        try:
            finding = _checked(item, evidence)
        except _Drop as why:
            out.dropped.append(_dropped(item, n, str(why)))
            continue
        finding.same_as = rule_ids.get(natural_id(finding))  # compared as sent: host names aliased
        _restore(finding, evidence.redactor)
        natural = natural_id(finding)
        base, k = f"llm:{natural}", 1
        finding.id = base
        while finding.id in taken:
            k += 1
            finding.id = f"{base}#{k}"
        taken.add(finding.id)
        out.kept.append(finding)
    return out


class _Drop(Exception):
    pass


def _restore(finding: LLMFinding, redactor: Any) -> None:
    """The hosts the model saw as ``host-…`` aliases, named again in what the report shows (never sent)."""
    if redactor is None:
        return
    finding.object = {k: redactor.restore(v) for k, v in finding.object.items()}
    finding.title = redactor.restore(finding.title)
    finding.recommendation = redactor.restore(finding.recommendation)
    finding.sql = redactor.restore(finding.sql)
    finding.evidence = {"evidence_ids": [redactor.restore(i) for i in finding.evidence.get("evidence_ids", [])]}


def _dropped(item: Any, n: int, reason: str) -> dict[str, Any]:
    data = item if isinstance(item, dict) else {}
    return {"index": n, "check": data.get("check"), "title": data.get("title"), "object": data.get("object"),
            "evidence_ids": data.get("evidence_ids"), "reason": reason}


def _checked(item: Any, evidence: Any) -> LLMFinding:
    if not isinstance(item, dict):
        raise _Drop("malformed: not an object")
    for key in _STRING_KEYS:
        if not isinstance(item.get(key, ""), str):
            raise _Drop(f"malformed: {key} is not a string")
    if not item.get("check") or not item.get("title"):
        raise _Drop("malformed: check and title are required")
    if item.get("severity") not in SEVERITIES:
        raise _Drop(f"malformed: severity {item.get('severity')!r} is not one of {', '.join(SEVERITIES)}")
    obj = item.get("object")
    if not isinstance(obj, dict):
        raise _Drop("malformed: object is not an object")
    unknown = set(obj) - set(OBJECT_KEYS)
    if unknown:
        raise _Drop(f"malformed: unknown object key(s) {', '.join(sorted(unknown))}")
    ids = item.get("evidence_ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise _Drop("ungrounded: evidence_ids must be a non-empty list of ids")
    missing = [i for i in ids if i not in evidence.ids]
    if missing:
        raise _Drop(f"ungrounded: cites id(s) not in the evidence: {', '.join(missing[:5])}")
    obj = _resolved(dict(obj), item["check"], evidence)
    sql = item.get("sql") or ""
    if _DESTRUCTIVE.search(sql) and not _UNDO.search(sql + " " + item.get("recommendation", "")):
        raise _Drop("unsafe: a DROP or TRUNCATE without its undo")
    try:
        return LLMFinding(item["check"], item["severity"], item["title"], obj, {"evidence_ids": ids},
                          item.get("recommendation") or "", sql or None, source="llm")
    except (TypeError, ValueError) as exc:
        raise _Drop(f"malformed: {exc}") from None


def _resolved(obj: dict[str, Any], check: str, evidence: Any) -> dict[str, Any]:
    """The object with the schema of the table it names filled in; a table or index the snapshot
    does not have drops the finding."""
    columns = obj.get("columns")
    if columns is not None and (not isinstance(columns, list) or not all(isinstance(c, str) for c in columns)):
        raise _Drop("malformed: columns is not a list of names")
    table = obj.get("table")
    if table is None and obj.get("index") is not None and check != "missing_index":
        found = [k for k in evidence.indexes if k[2] == str(obj["index"])
                 and (not obj.get("schema") or k[0] == str(obj["schema"]))]
        if len(found) != 1:
            raise _Drop(f"ungrounded: index {obj['index']} is not in the snapshot")
        obj["schema"], obj["table"] = found[0][0] or None, found[0][1]
        return {k: v for k, v in obj.items() if v is not None}
    if table is None:
        return obj
    schema = obj.get("schema")
    matches = [k for k in evidence.tables if k[1] == str(table) and (schema is None or k[0] == str(schema))]
    if not matches:
        matches = [k for k in evidence.tables if k[1].lower() == str(table).lower()
                   and (schema is None or k[0].lower() == str(schema).lower())]
    if len(matches) != 1:
        where = f"{schema}.{table}" if schema else str(table)
        raise _Drop(f"ungrounded: table {where} is not in the snapshot" if not matches
                    else f"ungrounded: table {table} is ambiguous (give its schema)")
    obj["schema"], obj["table"] = matches[0][0] or None, matches[0][1]
    if obj.get("index") is not None and check != "missing_index":
        key = (matches[0][0], matches[0][1], str(obj["index"]))
        if key not in evidence.indexes:
            raise _Drop(f"ungrounded: index {obj['index']} is not on {'.'.join(p for p in key[:2] if p)}")
    return {k: v for k, v in obj.items() if v is not None}
