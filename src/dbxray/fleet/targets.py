"""``[targets.NAME]`` in ``dbxray.toml``: the databases ``dbxray report --all`` visits.

::

    [targets.eu-prod]
    dsn_env = "EU_PROD_DSN"                 # the DSN (with its password) lives in the environment
    ignore = ["superuser_role", "missing_index:public.audit_log"]
    [targets.eu-prod.checks.slow_query]
    mean_ms = 100                           # merged over [checks.slow_query]

    [targets.reporting]
    dsn = "postgresql://monitor@reporting.internal/warehouse"   # password from ~/.pgpass / PGPASSWORD

A password is never accepted in the file: config files get committed, copied into images and
pasted into tickets. Whether a target's environment variable is set is only known when that
target runs, so a missing one fails that target alone.
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from dbxray.errors import BadInput

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")  # also a file name: DIR/<name>.<ext>
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
PASSWORD_HINT = ("use dsn_env = \"VARIABLE\" (the DSN in an environment variable or a secret), or leave the "
                 "password to ~/.pgpass / PGPASSWORD (MYSQL_PWD for MySQL)")


@dataclass(frozen=True)
class FleetTarget:
    """One database of the fleet: where its DSN comes from, and how its report differs from the default."""

    name: str
    dsn: str | None = None
    dsn_env: str | None = None
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)
    plans: dict[str, dict[str, Any]] = field(default_factory=dict)
    ignore: tuple[str, ...] = ()

    def resolve_dsn(self, environ: Any = None) -> str:
        """The DSN to connect with; an unset variable fails this target only (one line, exit 2)."""
        if self.dsn:
            return self.dsn
        value = (environ if environ is not None else os.environ).get(self.dsn_env or "", "").strip()
        if not value:
            raise BadInput(f"environment variable {self.dsn_env} is not set (dsn_env of [targets.{self.name}])")
        return value


def dsn_has_password(dsn: str) -> bool:
    """Whether the DSN text itself holds a password (URL userinfo, ``?password=``, ``password=…``)."""
    if "://" in dsn:
        try:
            url = urlsplit(dsn)
            if url.password is not None:
                return True
        except ValueError:
            return False
        return "password" in {k.lower() for k in parse_qs(url.query)}
    from psycopg.conninfo import conninfo_to_dict

    try:
        return "password" in conninfo_to_dict(dsn)
    except Exception:
        return re.search(r"\bpassword\s*=", dsn, re.IGNORECASE) is not None


def parse_targets(raw: dict[str, Any]) -> dict[str, FleetTarget]:
    """The ``[targets]`` tables as FleetTargets; anything wrong is one line naming the target and key."""
    from dbxray.config import TARGET_OPTIONS, _unknown

    out: dict[str, FleetTarget] = {}
    for name, table in raw.items():
        where = f"[targets.{name}]"
        if not NAME.match(name):
            raise BadInput(f"config: target name {name!r} must be letters, digits, '.', '_' or '-' (at most 64): "
                           "it names the report file and the history of the target")
        if not isinstance(table, dict):
            raise BadInput(f"config: {where} must be a table with dsn or dsn_env")
        for key in table:
            if key not in TARGET_OPTIONS:
                raise _unknown(f"{where} option", key, TARGET_OPTIONS)
        dsn, dsn_env = table.get("dsn"), table.get("dsn_env")
        if (dsn is None) == (dsn_env is None):
            raise BadInput(f"config: {where} needs exactly one of dsn or dsn_env")
        if dsn is not None:
            _check_dsn(where, dsn)
        elif not isinstance(dsn_env, str) or not ENV_NAME.match(dsn_env):
            raise BadInput(f"config: {where} dsn_env must name an environment variable, not {dsn_env!r}")
        for section in ("checks", "plans"):
            value = table.get(section, {})
            if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
                raise BadInput(f"config: {where} {section} must be tables: [targets.{name}.{section}.<id>]")
        ignore = table.get("ignore", [])
        if not isinstance(ignore, list) or not all(isinstance(i, str) and i.strip() for i in ignore):
            raise BadInput(f'config: {where} ignore must be a list of strings: ["check", "check:finding-id-prefix"]')
        out[name] = FleetTarget(name, dsn, dsn_env, table.get("checks", {}), table.get("plans", {}),
                                tuple(i.strip() for i in ignore))
    return out


def _check_dsn(where: str, dsn: Any) -> None:
    from dbxray.connect import one_line, parse_target

    if not isinstance(dsn, str) or not dsn.strip():
        raise BadInput(f"config: {where} dsn must be a non-empty connection string")
    if dsn_has_password(dsn):  # never echo the DSN: it holds the secret
        raise BadInput(f"config: {where} dsn holds a password; never put one in the file: {PASSWORD_HINT}")
    try:
        parse_target(dsn)
    except BadInput as exc:
        raise BadInput(f"config: {where} dsn: {one_line(str(exc), dsn)}") from None


def known_finding_checks() -> set[str]:
    """Every check id a finding may carry: registered checks, what they emit, plan rules, the advisor."""
    from dbxray.checks import EXTERNAL_OPTIONS, load_all
    from dbxray.plans.rules import rules

    registry = load_all()
    ids = {cid for cid, _ in registry} | {e for info in registry.values() for e in info.extra_ids}
    return ids | set(rules()) | set(EXTERNAL_OPTIONS)


def config_for(config: Any, target: FleetTarget) -> Any:
    """The target's config: its ``checks`` and ``plans`` tables merged key by key over the global ones."""
    def merged(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
        return {**base, **{k: {**base.get(k, {}), **v} for k, v in over.items()}}

    return dataclasses.replace(config, checks=merged(config.checks, target.checks),
                               plans=merged(config.plans, target.plans), targets={}, ignore=target.ignore)


def validate_targets(config: Any) -> None:
    """Each target's merged thresholds and ignores name things that exist (nearest valid one in the error)."""
    from dbxray.config import _unknown

    known = known_finding_checks()
    for target in config.targets.values():
        try:
            config_for(config, target).validate()
        except BadInput as exc:
            detail = str(exc).removeprefix("config: ")
            raise BadInput(f"config: [targets.{target.name}]: {detail}") from None
        for pattern in target.ignore:
            check_id = pattern.split(":", 1)[0]
            if check_id not in known:
                raise _unknown(f"check in [targets.{target.name}] ignore", check_id, known)
