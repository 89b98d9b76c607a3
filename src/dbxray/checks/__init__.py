"""The check registry: each check is a small pure function of a Snapshot.

A check declares its id (from the report contract's vocabulary), the area it belongs to,
the engines it understands and its default thresholds; its docstring says what it finds,
why it matters and how to fix it. ``run_checks`` runs every enabled check for the snapshot's
engine and never lets one broken check hide the others' findings.

Checks whose logic is the same on every engine live in this package, one module per area,
and read engine-neutral views (``checks.frames``) that each engine provides; checks that only
make sense on one engine live in ``engines/<name>/checks/`` (the engine's bundle).
"""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from dbxray.findings import Finding

CheckFn = Callable[..., Iterable[Finding]]


@dataclass
class CheckInfo:
    id: str
    area: str
    engines: tuple[str, ...]
    thresholds: dict[str, Any]
    func: CheckFn
    doc: str = ""
    extra_ids: tuple[str, ...] = ()  # other check ids this function may emit


@dataclass
class CheckRun:
    id: str
    engine: str
    status: str = "ok"  # ok | disabled | error
    findings: int = 0
    detail: str = ""


REGISTRY: dict[tuple[str, str], CheckInfo] = {}
_loaded: set[str] = set()  # check modules imported
_forgotten: set[str] = set()  # check modules whose engine was unregistered

# Options of check ids that something other than a registered check also reads from
# [checks.<id>]: the PostgreSQL index advisor runs with a live session, outside the registry.
EXTERNAL_OPTIONS = {"missing_index": ("dbxray.engines.postgres.advisor.advise", "DEFAULTS")}


ANY_ENGINE = ("*",)
# engine-neutral checks in this package
SHARED_MODULES: tuple[str, ...] = ("activity", "indexes", "schema", "statements", "trends")


def check(check_id: str, area: str, engines: tuple[str, ...] = ANY_ENGINE, emits: tuple[str, ...] = (),
          **thresholds: Any) -> Callable[[CheckFn], CheckFn]:
    """Register ``func(snap, t)`` as check ``check_id``; ``t`` holds its (overridable) thresholds.

    ``engines`` defaults to every engine: a shared check reads ``checks.frames`` views only."""

    def register(func: CheckFn) -> CheckFn:
        for engine in engines:
            key = (check_id, engine)
            if key in REGISTRY and _where(REGISTRY[key].func) != _where(func):  # a reload is no duplicate
                raise RuntimeError(f"check {check_id} registered twice for {engine}")
            REGISTRY[key] = CheckInfo(check_id, area, tuple(engines), dict(thresholds), func,
                                      inspect.getdoc(func) or "", tuple(emits))
        return func

    return register


def _where(func: CheckFn) -> tuple[str, str]:
    return func.__module__, func.__qualname__


def load_all() -> dict[tuple[str, str], CheckInfo]:
    """Import the shared checks and the bundle of every registered engine (``engines/<name>/checks``,
    or a plugin's), each once: an engine registered later brings its checks in on the next call."""
    from dbxray import engine as engine_registry

    modules = [f"{__name__}.{name}" for name in SHARED_MODULES]
    for eng in engine_registry.engines().values():
        modules.extend(eng.check_modules)
    for module in modules:
        if module not in _loaded:
            if module in _forgotten and module in sys.modules:
                importlib.reload(sys.modules[module])  # its engine came back: its checks register again
            else:
                importlib.import_module(module)
            _loaded.add(module)
            _forgotten.discard(module)
    return REGISTRY


def unregister_engine(engine: str) -> None:
    """Forget the checks only ``engine`` registered (shared checks stay)."""
    modules = {REGISTRY[key].func.__module__ for key in REGISTRY if key[1] == engine}
    for key in [key for key in REGISTRY if key[1] == engine]:
        del REGISTRY[key]
    _loaded.difference_update(modules)
    _forgotten.update(modules)


def known_options(check_id: str) -> set[str]:
    """Every option ``[checks.<check_id>]`` may set, whatever the engine: one config file serves both."""
    keys = {k for (cid, _), info in load_all().items() if cid == check_id for k in info.thresholds}
    if check_id in EXTERNAL_OPTIONS:
        module, attr = EXTERNAL_OPTIONS[check_id]
        keys |= set(getattr(importlib.import_module(module), attr))
    return keys


def checks_for(engine: str) -> list[CheckInfo]:
    """The engine's own checks, and the shared ones it has not replaced with its own version."""
    registry = load_all()
    own = {cid for (cid, eng) in registry if eng == engine}
    return [info for (cid, eng), info in sorted(registry.items())
            if eng == engine or (eng == "*" and cid not in own)]


@dataclass
class CheckResult:
    findings: list[Finding] = field(default_factory=list)
    runs: list[CheckRun] = field(default_factory=list)


def run_checks(snap: Any, config: Any, only: set[str] | None = None) -> CheckResult:
    """Run every enabled check for the snapshot's engine; a crashing check is recorded, not raised."""
    result = CheckResult()
    for info in checks_for(snap.engine):
        if only and info.id not in only:
            continue
        run = CheckRun(info.id, snap.engine)
        result.runs.append(run)
        if not config.enabled(info.id):
            run.status = "disabled"
            continue
        thresholds = config.thresholds(info.id, info.thresholds, known=known_options(info.id))
        try:
            found = [f for f in info.func(snap, thresholds) if config.enabled(f.check)]
        except Exception as exc:  # a bug in one check must not hide the rest of the report
            run.status = "error"
            run.detail = f"{exc.__class__.__name__}: {exc}"
            continue
        run.findings = len(found)
        result.findings.extend(found)
    from dbxray.checks.helpers import forget

    forget()
    return result
