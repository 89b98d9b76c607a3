"""The Engine protocol, and the registry that finds the engines under ``dbxray/engines/``.

The pipeline never branches on an engine's name: it asks the snapshot's (or the session's)
engine. An engine is one package ``dbxray.engines.<name>`` whose ``ENGINE`` attribute
implements :class:`Engine`, one folder ``collectors/<name>/`` of SQL and one folder of tests.
``docs/architecture.md`` says what each method must do; ``tests/fake_engine`` is a whole engine
in a hundred lines that proves the protocol is enough.

Engine packages keep their ``__init__`` light (drivers, pandas and parsers are imported by the
methods that need them), so finding an engine costs nothing at ``dbxray --help``.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from dbxray.errors import BadInput

if TYPE_CHECKING:  # pragma: no cover
    from dbxray.connect import Limits, Session, Target
    from dbxray.findings import Finding
    from dbxray.plans.model import Plan, StatementInfo


@dataclass
class LiveResult:
    """What an engine's live analysis (plans of the top statements, proven index advice) adds."""

    findings: list[Finding] = field(default_factory=list)
    superseded: list[Finding] = field(default_factory=list)  # rule findings the live ones replace
    timings: dict[str, float] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)


@dataclass
class IndexAdvice:
    """What ``dbxray indexes`` reports: the advice, the snapshot it came from, notes and a summary."""

    findings: list[Finding]
    snapshot: Any
    notes: list[str] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Engine(Protocol):
    """What the pipeline needs from a database engine."""

    name: str  # the snapshot's ``engine`` and the ``collectors/<name>`` folder
    label: str  # for people: "PostgreSQL"
    schemes: tuple[str, ...]  # DSN schemes it answers ("postgresql", "postgres")
    check_modules: tuple[str, ...]  # modules that register its own checks (sqlfluff-style bundle)

    def parse_dsn(self, dsn: str) -> Target: ...
    def open(self, target: Target, limits: Limits) -> Session: ...
    def flavor(self, session: Session) -> str: ...
    def classify_error(self, session: Session, exc: Exception) -> tuple[str, str]: ...
    def frames(self) -> Any: ...  # the engine-neutral views the shared checks read
    def notes(self, snap: Any) -> list[str]: ...
    def missing_statements(self, detail: str) -> str: ...
    def live_analysis(self, session: Session, snap: Any, findings: list[Finding], config: Any) -> LiveResult: ...
    def quote(self, *parts: str) -> str: ...
    def inspect(self, sql: str) -> StatementInfo: ...
    def explain(self, session: Session, sql: str, analyze: bool) -> Plan: ...
    def normalize_sql(self, text: str) -> str: ...  # literals and comments out (``dbxray.normalize``)


class BaseEngine:
    """Defaults for what an engine may leave out: the features say clearly that they are absent."""

    name = ""
    label = ""
    schemes: tuple[str, ...] = ()
    check_modules: tuple[str, ...] = ()

    def flavor(self, session: Any) -> str:
        return self.name

    def classify_error(self, session: Any, exc: Exception) -> tuple[str, str]:
        return "error", " ".join(str(exc).split()) or type(exc).__name__

    def frames(self) -> Any:
        from dbxray.checks.frames import NoFrames

        return NoFrames()

    def notes(self, snap: Any) -> list[str]:
        return []

    def missing_statements(self, detail: str) -> str:
        return f"no statement statistics{detail}: statement checks were skipped"

    def live_analysis(self, session: Any, snap: Any, findings: list, config: Any) -> LiveResult:
        return LiveResult()

    def quote(self, *parts: str) -> str:
        return ".".join('"' + str(p).replace('"', '""') + '"' for p in parts if p)

    def inspect(self, sql: str) -> Any:
        raise BadInput(f"statements cannot be checked for {self.label}")

    def explain(self, session: Any, sql: str, analyze: bool) -> Any:
        raise BadInput(f"dbxray explain is not available for {self.label}")

    def statement_text(self, session: Any, query_id: str) -> str:
        raise BadInput(f"--query-id is not available for {self.label}")

    def plan_catalog(self, session: Any) -> Any:
        return None

    def prove_plan_indexes(self, session: Any, statement: str, findings: list) -> list:
        return findings

    def analyze_notes(self, info: Any) -> list[str]:
        if not info.writes:
            return []
        return ["--analyze executed this data-changing statement inside a transaction that was rolled back: "
                "its changes were undone"]

    def index_advice(self, session: Any, queries: list[str], config: Any, verify: bool, progress: Any) -> Any:
        raise BadInput(f"dbxray indexes is not available for {self.label}")

    def predicates(self, text: str) -> Any:
        return None

    def normalize_sql(self, text: str) -> str:
        """Fail closed: an engine that cannot scan its SQL shows none of it."""
        from dbxray.normalize import WITHHELD

        return WITHHELD if text and text.strip() else ""


_REGISTRY: dict[str, Engine] = {}
_discovered = False


def register(engine: Engine) -> Engine:
    """Add an engine (the packages under ``dbxray/engines`` register themselves; tests add fakes)."""
    _REGISTRY[engine.name] = engine
    return engine


def unregister(name: str) -> None:
    _REGISTRY.pop(name, None)


def _discover() -> None:
    global _discovered
    if _discovered:
        return
    import dbxray.engines as pkg

    for mod in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if mod.ispkg and not mod.name.startswith("_"):
            engine = getattr(importlib.import_module(f"{pkg.__name__}.{mod.name}"), "ENGINE", None)
            if engine is not None:
                _REGISTRY.setdefault(engine.name, engine)
    _discovered = True


def engines() -> dict[str, Engine]:
    _discover()
    return dict(_REGISTRY)


def get(name: str) -> Engine:
    _discover()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise BadInput(f"unknown engine {name!r} (known: {', '.join(sorted(_REGISTRY))})") from None


def for_scheme(scheme: str) -> Engine | None:
    _discover()
    for engine in _REGISTRY.values():
        if scheme.lower() in engine.schemes:
            return engine
    return None


def of(thing: Any) -> Engine:
    """The engine of a snapshot, a session or a plan (anything with an ``engine`` name)."""
    return get(thing.engine)


def all_schemes() -> Iterable[str]:
    _discover()
    return [s for e in _REGISTRY.values() for s in e.schemes]
