"""Hypothetical indexes (HypoPG) and the generic plans that judge them.

``hypopg_create_index`` only changes what the planner of *this* session sees: nothing is
written, it works in a read-only session (and on a hot standby), and a rollback does not
remove it, so the manager tracks what exists and ``hypopg_reset()`` always runs at the end.
Statements are planned generically (``$1`` parameters, as pg_stat_statements stores them),
never executed.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from dbxray.engines.postgres.advisor.candidates import Candidate
from dbxray.engines.postgres.quoting import pg_ident

HYPOPG_OID_BUDGET = 1500  # HypoPG 1.3 runs out of fake OIDs near 2,800 live hypothetical indexes


@dataclass
class HypoState:
    """Is HypoPG usable here, and if not, exactly what would make it so."""

    installed: bool
    schema: str | None = None
    version: str | None = None
    available: bool = False  # the package is on the server, CREATE EXTENSION would work
    usable: bool = False
    reason: str = ""

    def how_to_enable(self, major: int) -> str:
        if self.installed and not self.usable:
            return ("HypoPG is installed but not usable by this role: GRANT EXECUTE on the hypopg functions "
                    "to it, or run dbxray as a role that has it")
        if self.available:
            return "the hypopg package is on the server: run CREATE EXTENSION hypopg; in this database (no restart)"
        return (f"install HypoPG on the server (e.g. apt-get install postgresql-{major}-hypopg), "
                "then CREATE EXTENSION hypopg; in this database (no restart)")


def hypopg_state(session: Any, snap: Any = None) -> HypoState:
    """Whether HypoPG exists in this database and works for this role (one tiny probe)."""
    row = session.rows("SELECT e.extversion AS version, n.nspname AS schema FROM pg_extension e "
                       "JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'hypopg'")
    available = bool(session.scalar("SELECT count(*) FROM pg_available_extensions WHERE name = 'hypopg'"))
    if not row:
        return HypoState(False, available=available, reason="the hypopg extension is not created in this database")
    state = HypoState(True, row[0]["schema"], row[0]["version"], available=True)
    probe = "SELECT has_function_privilege(%s, 'EXECUTE')"
    denied = [fn for fn in ("hypopg_create_index(text)", "hypopg_drop_index(oid)", "hypopg_reset()")
              if not session.scalar(probe, (f"{pg_ident(state.schema)}.{fn}",))]
    if denied:
        state.reason = f"this role may not execute {', '.join(denied)}"
    else:
        state.usable = True
    return state


class HypoUnavailable(Exception):
    """HypoPG is there but this role may not use it (e.g. EXECUTE revoked): fall back, and say so."""


def _is_privilege_error(exc: Exception) -> bool:
    import psycopg

    return isinstance(exc, psycopg.errors.InsufficientPrivilege)


class HypoPG:
    """The set of hypothetical indexes alive in the session, kept in step with what a plan needs."""

    def __init__(self, session: Any, schema: str):
        self.session = session
        self.schema = schema
        self.calls = 0
        self.per_candidate: Counter[Candidate] = Counter()
        self.live: dict[Candidate, tuple[int, str]] = {}
        self.failed: dict[Candidate, str] = {}

    def _fn(self, name: str) -> str:
        return pg_ident(self.schema, name)

    def create(self, cand: Candidate) -> str | None:
        """Create one hypothetical index; its name (as plans show it), or None if HypoPG refused it."""
        if cand in self.live:
            return self.live[cand][1]
        if cand in self.failed:
            return None
        self.calls += 1
        self.per_candidate[cand] += 1
        try:
            sql = f"SELECT indexrelid::bigint AS oid, indexname FROM {self._fn('hypopg_create_index')}(%s)"
            row = self.session.rows(sql, (cand.ddl(concurrently=False),))[0]
        except Exception as exc:  # e.g. a type without a default btree operator class
            reason = " ".join(str(exc).split())[:200]
            if _is_privilege_error(exc):
                raise HypoUnavailable(reason) from None
            self.failed[cand] = reason
            return None
        self.live[cand] = (row["oid"], row["indexname"])
        return row["indexname"]

    def drop(self, cand: Candidate) -> None:
        oid, _ = self.live.pop(cand)
        self.calls += 1
        self.per_candidate[cand] += 1
        self.session.query(f"SELECT {self._fn('hypopg_drop_index')}(%s)", (oid,))

    def ensure(self, wanted: Iterable[Candidate], tables: set[tuple[str, str]]) -> dict[str, Candidate]:
        """Exactly ``wanted`` on ``tables`` (others may linger elsewhere); returns index name -> candidate."""
        wanted = set(wanted)
        for cand in [c for c in self.live if c.key in tables and c not in wanted]:
            self.drop(cand)
        if len(self.live) + len(wanted) > HYPOPG_OID_BUDGET:
            for cand in [c for c in self.live if c not in wanted]:
                self.drop(cand)
        names = {}
        for cand in sorted(wanted, key=Candidate.label):  # a stable order: ties between equal plans stay stable
            name = self.create(cand)
            if name:
                names[name] = cand
        return names

    def reset(self) -> None:
        self.calls += 1
        with contextlib.suppress(Exception):
            self.session.query(f"SELECT {self._fn('hypopg_reset')}()")
        self.live.clear()


@contextlib.contextmanager
def hypothetical(session: Any, schema: str) -> Iterator[HypoPG]:
    """A HypoPG manager whose indexes are all gone afterwards, whatever happens."""
    hypo = HypoPG(session, schema)
    hypo.reset()
    hypo.calls = 0
    try:
        yield hypo
    finally:
        hypo.reset()


@dataclass
class PlanCost:
    cost: float
    indexes: set[str] = field(default_factory=set)  # every index name a node of the plan uses
    seq_scans: set[str] = field(default_factory=set)  # relations read by a Seq Scan
    nodes: set[str] = field(default_factory=set)


def plan_cost(session: Any, sql: str, partitioned: bool = False) -> PlanCost:
    """Total cost and index use of the generic plan (nothing executed).

    Partition pruning is off when a partitioned table is involved: on PostgreSQL < 16 the plan
    comes from ``EXECUTE`` with NULL arguments, which would prune every partition at executor
    start and hide the scans below the Append.
    """
    from dbxray.engines.postgres.plans.generic import generic_plan

    settings = {"enable_partition_pruning": "off"} if partitioned and session.version_num < 160000 else None
    plan = generic_plan(session, sql, settings=settings)
    root = plan["Plan"]
    out = PlanCost(float(root.get("Total Cost") or 0.0))
    stack = [root]
    while stack:
        node = stack.pop()
        out.nodes.add(node.get("Node Type", ""))
        if node.get("Index Name"):
            out.indexes.add(node["Index Name"])
        if node.get("Node Type") == "Seq Scan" and node.get("Relation Name"):
            out.seq_scans.add(node["Relation Name"])
        stack.extend(node.get("Plans") or ())
    return out
