"""The findings of one report, indexed the ways the chains link them: by statement, session, table."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from dbxray.findings import Finding

# checks whose findings describe one statement's plan (they carry the statement's query id)
PLAN_CHECKS = {"row_estimate_error", "disk_sort", "hash_spill", "lossy_bitmap", "filter_inefficiency",
               "heap_fetches", "nested_loop_explosion", "large_offset", "high_planning_time", "temp_table"}


_WORD = re.compile(r'"[^"]+"|`[^`]+`|[a-z_][a-z0-9_$]*')


def query_ids_of(f: Finding) -> set[str]:
    """Every statement a finding is about: its object's query id and the statements its evidence lists."""
    out = set()
    if f.object.get("query_id") is not None:
        out.add(str(f.object["query_id"]))
    for qid in f.evidence.get("query_ids") or ():
        if qid is not None:
            out.add(str(qid))
    for stmt in f.evidence.get("statements") or ():
        if isinstance(stmt, dict) and stmt.get("query_id") is not None:
            out.add(str(stmt["query_id"]))
    return out


class Evidence:
    """What the chains read: the findings (by check, statement, session, table) and the statements'
    measured time (share of all statement time, over the interval when there is a baseline)."""

    def __init__(self, findings: Iterable[Finding], statements: Iterable[dict[str, Any]] = (),
                 database: dict[str, Any] | None = None):
        self.findings = list(findings)
        self.by_id = {f.id: f for f in self.findings}
        self.by_check: dict[str, list[Finding]] = defaultdict(list)
        self.by_query: dict[str, list[Finding]] = defaultdict(list)
        self.by_pid: dict[int, list[Finding]] = defaultdict(list)
        self.by_table: dict[tuple[Any, Any], list[Finding]] = defaultdict(list)
        for f in self.findings:
            self.by_check[f.check].append(f)
            for qid in query_ids_of(f):
                self.by_query[qid].append(f)
            if f.object.get("pid") is not None:
                self.by_pid[int(f.object["pid"])].append(f)
            if f.object.get("table"):
                self.by_table[(f.object.get("schema"), f.object["table"])].append(f)
        self.statements = {str(s.get("queryid", s.get("query_id"))): s for s in statements}
        self.total_ms = sum(float(s.get("total_ms") or 0.0) for s in self.statements.values())
        self.database = database or {}
        self.claimed: set[str] = set()
        self._words: dict[str, set[str]] | None = None

    def statement(self, qid: str) -> dict[str, Any]:
        return self.statements.get(qid, {})

    def share(self, qid: str) -> float:
        """The statement's share of all statement time, in percent (0 when unknown)."""
        row = self.statements.get(qid)
        if row and row.get("share_pct") is not None:
            return float(row["share_pct"])
        return 0.0

    def statements_naming(self, name: str) -> set[str]:
        """Query ids of the statements whose text has ``name`` as a word (case-insensitive, quoted or not)."""
        if self._words is None:
            self._words = defaultdict(set)
            for qid, s in self.statements.items():
                for word in set(_WORD.findall(str(s.get("query") or "").lower())):
                    self._words[word.strip('"`')].add(qid)
        return self._words.get(name.lower(), set())

    def claim(self, findings: Iterable[Finding]) -> list[str]:
        ids = [f.id for f in findings]
        self.claimed.update(ids)
        return ids
