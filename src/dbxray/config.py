"""Thresholds and switches from a TOML file, so every default can be overridden.

Lookup: ``--config FILE``, else ``$DBXRAY_CONFIG``, else ``./dbxray.toml`` when it exists::

    [checks.slow_query]
    mean_ms = 50          # override a threshold
    [checks.superuser_role]
    enabled = false       # switch a check off
    [report]
    top_statements = 15
    [targets.eu-prod]     # a database of the fleet (dbxray report --all)
    dsn_env = "EU_PROD_DSN"
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dbxray.errors import BadInput

# what [report] may set (anything else is a typo, and a typo must not silently do nothing); [llm]: dbxray.llm.settings
REPORT_OPTIONS = {
    "top_statements": "rows in the top-statements table (default 10)",
    "plan_top_statements": "statements planned generically by the live analysis (default 5; 0 turns it off)",
    "index_advice": "prove index advice with HypoPG during the report (default true)",
    "pace": 'on a busy server, pause between collectors: "auto" (default: dbxray busy at most 10 % of the '
            'time, 3 % with --every), "off", or the share of time between 0 and 1',
}
# what a [targets.NAME] table may set (dbxray report --all; see dbxray.fleet.targets)
TARGET_OPTIONS = {
    "dsn": "connection string without a password (libpq's ~/.pgpass or PGPASSWORD, or MYSQL_PWD, supply it)",
    "dsn_env": "name of the environment variable holding the connection string",
    "checks": "[targets.NAME.checks.<check>] thresholds, merged over [checks]",
    "plans": "[targets.NAME.plans.<rule>] plan rule thresholds, merged over [plans]",
    "ignore": 'findings left out of this target\'s report: "check" or "check:finding-id-prefix"',
}
SECTIONS = ("checks", "report", "llm", "plans", "targets")


def _unknown(kind: str, key: str, known: Any) -> BadInput:
    import difflib

    near = difflib.get_close_matches(key, list(known), n=1, cutoff=0.5)
    hint = f"; did you mean {near[0]!r}?" if near else f" (known: {', '.join(sorted(known))})"
    return BadInput(f"config: unknown {kind} {key!r}{hint}")


@dataclass
class Config:
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)
    llm: dict[str, Any] = field(default_factory=dict)
    plans: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None
    targets: dict[str, Any] = field(default_factory=dict)  # name -> dbxray.fleet.targets.FleetTarget
    ignore: tuple[str, ...] = ()  # a fleet target's ``ignore``: findings its report leaves out

    def ignored(self, finding: Any) -> bool:
        """Whether ``ignore`` leaves this finding out: a bare check id matches the check; anything with a
        colon matches the start of the finding id up to a separator (``missing_index:public.orders``
        covers ``missing_index:public.orders:customer_id:query=…``, not ``…:public.orders_archive``)."""
        fid = finding.id
        return any(fid == p or (fid.startswith(p) and fid[len(p)] in ":.,#=") if ":" in p else finding.check == p
                   for p in self.ignore)

    def enabled(self, check_id: str) -> bool:
        return bool(self.checks.get(check_id, {}).get("enabled", True))

    def thresholds(self, check_id: str, defaults: dict[str, Any], known: set[str] | None = None) -> dict[str, Any]:
        """The check's defaults with the user's overrides; unknown keys are an error, not a silent no-op.

        ``known``: every key any engine's version of the check accepts (one config file serves
        PostgreSQL and MySQL); keys known but not used by this engine are ignored here.
        """
        known = set(defaults) | (known or set())
        section = {k: v for k, v in self.checks.get(check_id, {}).items() if k != "enabled"}
        for key in sorted(set(section) - known):
            raise _unknown(f"threshold of check {check_id!r}", key, known or {"enabled"})
        return {**defaults, **{k: v for k, v in section.items() if k in defaults}}

    def validate(self) -> Config:
        """Every section names things that exist: checks, their thresholds, plan rules, report and llm
        options. Raises a one-line BadInput naming the key and the nearest valid one."""
        from dbxray.checks import EXTERNAL_OPTIONS, known_options, load_all

        check_ids = {cid for cid, _ in load_all()} | set(EXTERNAL_OPTIONS)
        for check_id, options in self.checks.items():
            if check_id not in check_ids:
                raise _unknown("check", check_id, check_ids)
            if not isinstance(options, dict):
                raise BadInput(f"config: [checks.{check_id}] must be a table (thresholds, enabled = false)")
            for key in options:
                if key != "enabled" and key not in known_options(check_id):
                    raise _unknown(f"threshold of check {check_id!r}", key, known_options(check_id) | {"enabled"})
        for key in self.report:
            if key not in REPORT_OPTIONS:
                raise _unknown("[report] option", key, REPORT_OPTIONS)
        if "pace" in self.report:
            from dbxray.pacing import parse_pace

            try:
                parse_pace(self.report["pace"])
            except BadInput as exc:
                raise BadInput(f"config: [report] {exc}") from None
        if self.llm:
            from dbxray.llm.settings import DESCRIPTIONS  # light: the SDK is imported only to call the API

            for key in self.llm:
                if key not in DESCRIPTIONS:
                    raise _unknown("[llm] option", key, DESCRIPTIONS)
        self.plan_thresholds()
        if self.targets:
            from dbxray.fleet.targets import validate_targets

            validate_targets(self)
        return self

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
    unknown_sections = set(raw) - set(SECTIONS)
    for section in sorted(unknown_sections):
        raise _unknown("section", section, SECTIONS)
    for section in SECTIONS:
        if not isinstance(raw.get(section, {}), dict):
            raise BadInput(f"config file {candidate}: [{section}] must be a table")
    targets = {}
    if raw.get("targets"):
        from dbxray.fleet.targets import parse_targets

        targets = parse_targets(raw["targets"])
    return Config(checks=raw.get("checks", {}), report=raw.get("report", {}), llm=raw.get("llm", {}),
                  plans=raw.get("plans", {}), path=candidate, targets=targets).validate()
