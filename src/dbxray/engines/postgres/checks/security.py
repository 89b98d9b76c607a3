"""Security checks for PostgreSQL: superuser logins, weak authentication, open schemas."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any

from dbxray.checks import check
from dbxray.engines.postgres.checks import ENGINES
from dbxray.engines.postgres.checks.helpers import as_list, records
from dbxray.engines.postgres.quoting import pg_ident
from dbxray.findings import Finding


@check("superuser_role", "security", engines=ENGINES)
def superuser_role(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Login roles with superuser power, other than the bootstrap superuser.

    Why: a superuser bypasses every permission check, can read any file the server can
    and run programs as the server's OS user; an application or person logging in as one
    turns any SQL injection or mistake into a full compromise.
    Fix: give the role only what it needs (ownership, pg_monitor, specific grants) and
    ``ALTER ROLE … NOSUPERUSER``.
    """
    for r in records(snap["roles"]):
        if not r.get("is_superuser") or not r.get("can_login") or r.get("is_bootstrap"):
            continue
        yield Finding(
            check="superuser_role",
            severity="warning",
            title=f"Role {r['role']} can log in as a superuser",
            object={"role": r["role"]},
            evidence={"can_login": True, "is_superuser": True, "member_of": as_list(r.get("member_of")) or None,
                      "valid_until": r.get("valid_until")},
            recommendation=("Remove superuser from roles people or applications log in with; grant the specific "
                            "privileges they need (pg_monitor for monitoring, ownership for migrations)."),
            sql=f"ALTER ROLE {pg_ident(r['role'])} NOSUPERUSER;",
        )


def _is_loopback(address: str | None, netmask: str | None = None) -> bool:
    """True when every address the rule matches is a loopback address (127/8, ::1)."""
    if not address:
        return False
    if address in ("localhost", "samehost"):
        return True
    try:
        prefix = bin(int(ipaddress.ip_address(netmask))).count("1") if netmask else None
        net = ipaddress.ip_network(f"{address}/{prefix}" if prefix is not None else address, strict=False)
    except ValueError:
        return False
    return net.network_address.is_loopback and net.broadcast_address.is_loopback


@check("weak_auth", "security", engines=ENGINES)
def weak_auth(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Authentication that trusts the network or stores weak password hashes.

    Why: a ``trust`` rule lets anyone who reaches the address in as any matching role with
    no password; ``password`` sends it in clear text; ``md5`` hashes are replayable and
    deprecated in favour of SCRAM. pg_hba rules are only readable by superusers (otherwise
    only ``password_encryption`` is checked).
    Fix: use ``scram-sha-256`` rules and ``password_encryption = scram-sha-256``.
    """
    for r in records(snap["hba_rules"]):
        method = r.get("auth_method")
        if r.get("type") == "local" or method not in ("trust", "password", "md5"):
            continue
        address = r.get("address")
        loopback = _is_loopback(address, r.get("netmask"))
        if method == "md5" and loopback:
            continue
        users, dbs = as_list(r.get("user_name")), as_list(r.get("database"))
        severity = "info" if loopback else ("critical" if method == "trust" else "warning")
        where = f"{address or 'any address'}{('/' + r['netmask']) if r.get('netmask') else ''}"
        yield Finding(
            check="weak_auth",
            severity=severity,
            title=f"pg_hba.conf line {r['line_number']}: '{method}' for {', '.join(users)} from {where}",
            object={"setting": "pg_hba.conf"},
            evidence={"line": r.get("line_number"), "type": r.get("type"), "databases": dbs, "users": users,
                      "address": address, "method": method, "loopback_only": loopback},
            recommendation=("Replace it with scram-sha-256 (and reload). "
                            + ("Even on loopback, trust lets every local OS user in as any role."
                               if loopback else "Anyone who can reach this address needs no (or a weak) password.")),
            sql="-- edit pg_hba.conf: use scram-sha-256, then:\nSELECT pg_reload_conf();",
        )
    encryption = snap.setting("password_encryption")
    if encryption == "md5":
        yield Finding(
            check="weak_auth",
            severity="warning",
            title="New passwords are stored as MD5 hashes",
            object={"setting": "password_encryption"},
            evidence={"password_encryption": encryption},
            recommendation="Switch to scram-sha-256, then reset each role's password so it is re-hashed.",
            sql="ALTER SYSTEM SET password_encryption = 'scram-sha-256';\nSELECT pg_reload_conf();",
        )


@check("public_schema_create", "security", engines=ENGINES)
def public_schema_create(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Schemas where every role (PUBLIC) may create objects.

    Why: with CREATE on a schema in the search_path, any user can plant a function or
    operator that another role (or a SECURITY DEFINER function) later calls by mistake
    (CVE-2018-1058). PostgreSQL 15 stopped granting it on ``public`` by default; upgraded
    clusters keep the old grant.
    Fix: ``REVOKE CREATE ON SCHEMA … FROM PUBLIC``.
    """
    for r in records(snap["schema_privileges"]):
        if not r.get("public_can_create"):
            continue
        yield Finding(
            check="public_schema_create",
            severity="warning",
            title=f"Every role may create objects in schema {r['schema']}",
            object={"schema": r["schema"]},
            evidence={"grantee": "PUBLIC", "privilege": "CREATE", "owner": r.get("owner")},
            recommendation="Revoke CREATE from PUBLIC and grant it to the roles that own the schema's objects.",
            sql=f"REVOKE CREATE ON SCHEMA {pg_ident(r['schema'])} FROM PUBLIC;",
        )
