"""Thresholds and switches from a TOML file, so every default can be overridden.

Lookup: ``--config FILE``, else ``$DBXRAY_CONFIG``, else ``./dbxray.toml`` when it exists::

    [checks.slow_query]
    mean_ms = 50          # override a threshold
    [checks.superuser_role]
    enabled = false       # switch a check off
    [report]
    top_statements = 15
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dbxray.errors import BadInput


@dataclass
class Config:
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)
    llm: dict[str, Any] = field(default_factory=dict)
    plans: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    def enabled(self, check_id: str) -> bool:
        return bool(self.checks.get(check_id, {}).get("enabled", True))

    def thresholds(self, check_id: str, defaults: dict[str, Any], known: set[str] | None = None) -> dict[str, Any]:
        """The check's defaults with the user's overrides; unknown keys are an error, not a silent no-op.

        ``known``: every key any engine's version of the check accepts (one config file serves
        PostgreSQL and MySQL); keys known but not used by this engine are ignored here.
        """
        known = set(defaults) | (known or set())
        section = {k: v for k, v in self.checks.get(check_id, {}).items() if k != "enabled"}
        unknown = set(section) - known
        if unknown:
            raise BadInput(f"config: check {check_id!r} has no threshold named {', '.join(sorted(unknown))} "
                           f"(known: {', '.join(sorted(known)) or 'none'})")
        return {**defaults, **{k: v for k, v in section.items() if k in defaults}}

    def report_option(self, name: str, default: Any) -> Any:
        return self.report.get(name, default)

    def plan_thresholds(self) -> tuple[Any, set[str]]:
        """(Thresholds, disabled rule ids) of the plan rules, from ``[plans.<rule>]``."""
        from dbxray.plans.rules import configured

        return configured(self.plans)


def load_config(path: str | Path | None = None) -> Config:
    """Read the config file, or return the defaults when there is none."""
    explicit = path or os.environ.get("DBXRAY_CONFIG")
    candidate = Path(explicit) if explicit else Path("dbxray.toml")
    if not candidate.exists():
        if explicit:
            raise BadInput(f"config file not found: {candidate}")
        return Config()
    try:
        raw = tomllib.loads(candidate.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BadInput(f"config file {candidate} is not valid TOML: {exc}") from None
    unknown = set(raw) - {"checks", "report", "llm", "plans"}
    if unknown:
        raise BadInput(f"config file {candidate}: unknown section(s) {', '.join(sorted(unknown))}")
    return Config(checks=raw.get("checks", {}), report=raw.get("report", {}), llm=raw.get("llm", {}),
                  plans=raw.get("plans", {}), path=candidate)
