"""The Finding shape of the report contract (see DESIGN.md): one uniform record per problem found."""

from __future__ import annotations

import collections.abc as _abc
from dataclasses import asdict, dataclass, field
from typing import Any

SEVERITIES = ("critical", "warning", "info")
SEVERITY_RANK = {"critical": 3, "warning": 2, "info": 1}
OBJECT_KEYS = (
    "schema", "table", "index", "columns", "query_id", "sequence", "role", "setting",
    "node_id", "node_type", "relation", "pid", "extension", "database",
)


@dataclass
class Finding:
    """One problem: what it is about (object), why we think so (evidence), and the fix (sql)."""

    check: str
    severity: str
    title: str
    object: dict[str, Any] = field(default_factory=dict)
    evidence: dict[str, Any] = field(default_factory=dict)
    recommendation: str = ""
    sql: str | None = None
    source: str = "rules"
    id: str = ""  # stable within a report: check and object (``missing_index:public.orders:customer_id``)

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}")
        unknown = set(self.object) - set(OBJECT_KEYS)
        if unknown:
            raise ValueError(f"unknown object keys {sorted(unknown)} in finding {self.check}")
        # absent keys mean "not applicable": drop explicit Nones so the JSON stays honest
        self.object = {k: v for k, v in self.object.items() if v is not None}
        if "query_id" in self.object:
            self.object["query_id"] = str(self.object["query_id"])

    @property
    def rank(self) -> int:
        return SEVERITY_RANK[self.severity]

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(**{k: data.get(k) for k in cls.__dataclass_fields__ if k in data})


def index_key(f: Finding) -> tuple:
    """What makes two index suggestions the same: table and columns, in order."""
    return (f.object.get("schema"), f.object.get("table"), tuple(f.object.get("columns") or ()))



def dedupe_missing_indexes(existing: list[Finding], added: list[Finding]) -> list[Finding]:
    """One finding per suggested index: a proven advisor finding beats a plan heuristic for the same
    columns, and a plan suggestion for a foreign key already reported by missing_fk_index is dropped."""
    fk_keys = {index_key(f) for f in existing if f.check == "missing_fk_index"}
    best: dict[tuple, Finding] = {}
    others: list[Finding] = []
    for f in added:
        if f.check != "missing_index":
            others.append(f)
            continue
        key = index_key(f)
        if key in fk_keys and not f.evidence.get("proven"):
            continue
        current = best.get(key)
        if current is None or (f.evidence.get("proven") and not current.evidence.get("proven")):
            best[key] = f
    return others + list(best.values())


def natural_id(f: Finding) -> str:
    """``check:object``: the relation (``schema.table[.index]``), the columns, then ``key=value`` for the
    rest (``query=…``, ``pid=…``, ``setting=…``); the same problem gets the same id in every run."""
    obj = f.object
    parts: list[str] = []
    relation = ".".join(str(obj[k]) for k in ("schema", "table") if obj.get(k))
    if obj.get("sequence"):
        relation = ".".join(str(p) for p in (obj.get("schema"), obj["sequence"]) if p)
    if obj.get("index"):
        relation = f"{relation}.{obj['index']}" if relation else str(obj["index"])
    if relation:
        parts.append(relation)
    if obj.get("columns"):
        parts.append(",".join(str(c) for c in obj["columns"]))
    for key, label in (("query_id", "query"), ("setting", "setting"), ("extension", "extension"),
                       ("role", "role"), ("database", "database"), ("pid", "pid"), ("node_id", "node")):
        if obj.get(key) is not None and not (key == "database" and parts):
            parts.append(f"{label}={obj[key]}")
    return ":".join([f.check, *parts])


def assign_ids(findings: list[Finding]) -> None:
    """Give every finding without an id its natural id, made unique within the report (``#2``, ``#3``
    on repeats); ids already given (the diagnosis refers to them) are kept."""
    taken = {f.id for f in findings if f.id}
    for f in findings:
        if f.id:
            continue
        base = natural_id(f)
        candidate, n = base, 1
        while candidate in taken:
            n += 1
            candidate = f"{base}#{n}"
        f.id = candidate
        taken.add(candidate)


def at_or_above(findings: list[Finding], severity: str) -> list[Finding]:
    """Findings whose severity is ``severity`` or worse (used by ``--fail-on``)."""
    floor = SEVERITY_RANK[severity]
    return [f for f in findings if f.rank >= floor]


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Worst first, then by check id and object, so reports are stable between runs."""
    return sorted(findings, key=lambda f: (-f.rank, f.check, str(sorted(f.object.items()))))


def _jsonable(value: Any) -> Any:
    """Turn numpy / pandas / datetime scalars into plain JSON values."""
    import datetime as _dt
    import decimal
    import math

    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, _abc.Mapping):  # a read-only row (checks.helpers.Record): a mapping, not a tuple
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else round(value, 6)
    if isinstance(value, decimal.Decimal):
        return _jsonable(float(value)) if value != value.to_integral_value() else int(value)
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    if isinstance(value, _dt.timedelta):
        return value.total_seconds()
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        return _jsonable(item())
    iso = getattr(value, "isoformat", None)  # pandas Timestamp
    if callable(iso):
        return iso()
    return str(value)


jsonable = _jsonable
