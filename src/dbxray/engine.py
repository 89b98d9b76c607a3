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
from pathlib import Path
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

    # connecting and collecting
    def parse_dsn(self, dsn: str) -> Target: ...
    def open(self, target: Target, limits: Limits) -> Session: ...
    def flavor(self, session: Session) -> str: ...
    def format_version(self, num: int) -> str: ...
    def collectors_path(self) -> Path: ...  # the folder of its collector SQL files
    def classify_error(self, session: Session, exc: Exception) -> tuple[str, str]: ...
    # checking
    def frames(self) -> Any: ...  # the engine-neutral views the shared checks read
    def notes(self, snap: Any) -> list[str]: ...
    def statements_gap(self, snap: Any) -> str | None: ...
    def live_analysis(self, session: Session, snap: Any, findings: list[Finding], config: Any) -> LiveResult: ...
    # statements and plans (``BaseEngine`` says clearly when an engine has none)
    def quote(self, *parts: str) -> str: ...
    def normalize_sql(self, text: str) -> str: ...  # literals -> placeholders, comments dropped
    def inspect(self, sql: str) -> StatementInfo: ...
    def explain(self, session: Session, sql: str, analyze: bool) -> Plan: ...
    def statement_text(self, session: Session, query_id: str) -> str: ...
    def plan_dialect(self) -> Any: ...
    def plan_catalog(self, session: Session) -> Any: ...
    def parse_plan_text(self, text: str, statement: str | None) -> Plan | None: ...
    def parse_plan_json(self, data: Any, statement: str | None) -> Plan | None: ...
    def prove_plan_indexes(self, session: Session, statement: str, findings: list[Finding]) -> list[Finding]: ...
    def analyze_notes(self, info: StatementInfo) -> list[str]: ...
    def index_advice(self, session: Session, queries: list[str], config: Any, verify: bool,
                     progress: Any) -> IndexAdvice: ...


class BaseEngine:
    """Defaults for what an engine may leave out: the features say clearly that they are absent."""

    name = ""
    label = ""
    schemes: tuple[str, ...] = ()
    check_modules: tuple[str, ...] = ()
    collection_settings: tuple[str, ...] = ()  # session settings for the collectors' run only
    collection_resets: tuple[str, ...] = ()  # what undoes them afterwards (the session goes on)

    def flavor(self, session: Any) -> str:
        return self.name

    def format_version(self, num: int) -> str:
        return str(num)

    def collectors_path(self) -> Path:
        """``collectors/<name>/`` (in the installed package, or at the root of a source checkout)."""
        from dbxray.collect import collectors_dir

        return collectors_dir(self.name)

    def classify_error(self, session: Any, exc: Exception) -> tuple[str, str]:
        return "error", " ".join(str(exc).split()) or type(exc).__name__

    def frames(self) -> Any:
        from dbxray.checks.frames import NoFrames

        return NoFrames()

    def notes(self, snap: Any) -> list[str]:
        return []

    def warm(self, metric: str, snap: Any) -> None:
        """Build the checks' derived views of ``metric``'s frame now (``checks.helpers.memo``): called on
        the frame-building thread while the server runs the next collector, so the checks find them
        ready. Anything it does not build, the checks build themselves."""

    def busy_sessions(self, session: Any) -> int | None:
        """How many other sessions are at work on the server right now (``dbxray.pacing``), or None when
        the engine cannot tell: the collection is then never paced."""
        return None

    def counters_reset(self, new: Any, old: Any) -> str | None:
        """Why the cumulative counters of ``new`` do not continue ``old``'s (a reset, a restart, a
        failover), or None: the interval then starts at the reset, not at ``old``."""
        return None

    def statements_gap(self, snap: Any) -> str | None:
        """Why the snapshot has no statement statistics (the report is then incomplete), or None."""
        if snap.has("statements"):
            return None
        run = snap.run_of("statements")
        detail = f" ({run.detail})" if run and run.detail else ""
        return f"no statement statistics{detail}: statement checks were skipped"

    def live_analysis(self, session: Any, snap: Any, findings: list, config: Any) -> LiveResult:
        return LiveResult()

    def quote(self, *parts: str) -> str:
        return ".".join('"' + str(p).replace('"', '""') + '"' for p in parts if p)

    def normalize_sql(self, text: str) -> str:
        """Statement text as it may be stored or shown: every literal a placeholder, no comments
        (``dbxray.engines.sqltext``). Engines answer with their own parser's lexer; this default is the
        fail-closed generic one."""
        from dbxray.engines.sqltext import scrub

        return scrub(text, "postgres")

    def inspect(self, sql: str) -> Any:
        raise BadInput(f"statements cannot be checked for {self.label}")

    def explain(self, session: Any, sql: str, analyze: bool) -> Any:
        raise BadInput(f"dbxray explain is not available for {self.label}")

    def statement_text(self, session: Any, query_id: str) -> str:
        raise BadInput(f"--query-id is not available for {self.label}")

    def plan_dialect(self) -> Any:
        from dbxray.plans.dialect import PlanDialect

        return PlanDialect()

    def plan_catalog(self, session: Any) -> Any:
        return None

    def parse_plan_text(self, text: str, statement: str | None) -> Any:
        return None

    def parse_plan_json(self, data: Any, statement: str | None) -> Any:
        return None

    def prove_plan_indexes(self, session: Any, statement: str, findings: list) -> list:
        return findings

    def analyze_notes(self, info: Any) -> list[str]:
        if not info.writes:
            return []
        return ["--analyze executed this data-changing statement inside a transaction that was rolled back: "
                "its changes were undone"]

    def index_advice(self, session: Any, queries: list[str], config: Any, verify: bool, progress: Any,
                     show_values: bool = False) -> Any:
        raise BadInput(f"dbxray indexes is not available for {self.label}")

    def predicates(self, text: str) -> Any:
        return None

    def notable_settings(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(settings worth showing an advisor, those kept whatever the budget); none by default."""
        return (), ()

    def prove_index(self, session: Any, schema: str, table: str, columns: list[str], statements: list) -> dict:
        """Proof that an index helps ``statements`` without building it (hypothetical indexes)."""
        raise BadInput(f"hypothetical indexes are not available on {self.label}")


_REGISTRY: dict[str, Engine] = {}
_discovered = False


def register(engine: Engine) -> Engine:
    """Add an engine (the packages under ``dbxray/engines`` register themselves; a plugin or a test
    adds its own). Its check bundle is loaded with the others (``checks.load_all``)."""
    _discover()
    _REGISTRY[engine.name] = engine
    return engine


def unregister(name: str) -> None:
    """Remove an engine and the checks only it registered."""
    from dbxray import checks

    _REGISTRY.pop(name, None)
    checks.unregister_engine(name)


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
