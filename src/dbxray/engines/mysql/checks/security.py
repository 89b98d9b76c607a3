"""Security review for MySQL/MariaDB: accounts, authentication and the server's file and network settings.

MySQLTuner's security section is the anchor (``docs/research/mysqltuner-security.md``): anonymous
accounts, empty passwords, wildcard hosts, weak authentication plugins, ``require_secure_transport``
and ``skip_name_resolve``; dbxray adds what it lacks (``local_infile``, ``secure_file_priv``, global
FILE/PROCESS/SUPER outside the admins, host-name accounts that ``skip_name_resolve`` would lock out).

Least privilege: accounts are read from ``mysql.global_priv`` (MariaDB 10.4+) or ``mysql.user``
(MySQL), which need SELECT on that one table; never the password hashes themselves (the collectors
return only whether one is empty). Without that grant the account checks are skipped and the report's
notes say so; the settings checks need no privilege.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from dbxray.checks import check
from dbxray.checks.helpers import records
from dbxray.engines.mysql.checks import ENGINES
from dbxray.engines.mysql.checks.helpers import setting, truthy
from dbxray.findings import Finding

LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
# MariaDB's global privilege bits (sql/privilege.h): the ones a review names
MARIADB_BITS = {0: "SELECT", 1: "INSERT", 2: "UPDATE", 3: "DELETE", 4: "CREATE", 5: "DROP", 6: "RELOAD",
                7: "SHUTDOWN", 8: "PROCESS", 9: "FILE", 10: "GRANT OPTION", 13: "ALTER", 14: "SHOW DATABASES",
                15: "SUPER", 19: "REPLICATION SLAVE", 20: "REPLICATION CLIENT", 25: "CREATE USER"}
# ALL PRIVILEGES as every MariaDB since 10.4 grants it: bits 0-29 (GRANT OPTION apart)
MARIADB_ALL = sum(1 << b for b in range(30) if b != 10)
MYSQL_ALL = {"SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "RELOAD", "SHUTDOWN", "PROCESS", "FILE",
             "SUPER", "CREATE USER", "ALTER", "INDEX", "SHOW DATABASES", "EXECUTE", "REPLICATION SLAVE",
             "REPLICATION CLIENT", "EVENT", "TRIGGER", "LOCK TABLES"}
DANGEROUS = ("SUPER", "FILE", "PROCESS")


@dataclass
class Account:
    user: str
    host: str
    plugins: list[str]
    empty_password: bool
    locked: bool = False
    is_role: bool = False
    privileges: set[str] = field(default_factory=set)
    all_privileges: bool = False

    @property
    def name(self) -> str:
        return f"'{self.user}'@'{self.host}'"

    @property
    def sql_name(self) -> str:
        return "'" + self.user.replace("'", "''") + "'@'" + self.host.replace("'", "''") + "'"

    @property
    def admin(self) -> bool:
        return self.all_privileges

    @property
    def local(self) -> bool:
        return self.host.lower() in LOCAL_HOSTS

    @property
    def wildcard(self) -> bool:
        return "%" in self.host or "_" in self.host.replace("\\_", "")

    @property
    def password_plugins(self) -> bool:
        """Authenticates with a password (not a socket or PAM)."""
        return any(p in ("", "mysql_native_password", "mysql_old_password", "ed25519", "parsec",
                         "caching_sha2_password", "sha256_password") for p in self.plugins)


def _lower(row: dict[str, Any]) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in row.items()}


def accounts(snap: Any) -> list[Account]:
    """Accounts from the ``accounts`` collector of either flavour, in one shape."""
    out = []
    for raw in records(snap["accounts"]):
        r = _lower(raw)
        user, host = str(r.get("user_name") or ""), str(r.get("host_name") or "")
        if r.get("priv") is not None:  # MariaDB: mysql.global_priv
            try:
                priv = json.loads(r["priv"]) if isinstance(r["priv"], str) else dict(r["priv"])
            except (TypeError, ValueError):
                priv = {}
            plugins = [str(priv.get("plugin") or "mysql_native_password")]
            try:
                extra = json.loads(r["or_plugins"]) if r.get("or_plugins") else []
            except (TypeError, ValueError):
                extra = []
            plugins += [str(p) for p in extra if p and str(p) not in plugins]
            access = int(priv.get("access") or 0)
            names = {name for bit, name in MARIADB_BITS.items() if access & (1 << bit)}
            out.append(Account(user, host, plugins, truthy(r.get("empty_auth")) and plugins[0] in (
                "mysql_native_password", "mysql_old_password"), bool(priv.get("account_locked")),
                bool(priv.get("is_role")), names, access & MARIADB_ALL == MARIADB_ALL))
        else:  # MySQL: mysql.user
            names = {p for p in str(r.get("privileges") or "").split(",") if p}
            plugin = str(r.get("plugin") or "mysql_native_password")
            out.append(Account(user, host, [plugin], truthy(r.get("empty_auth")) and plugin not in (
                "auth_socket", "unix_socket"), truthy(r.get("locked")), False, names, names >= MYSQL_ALL))
    return out


def _live(snap: Any) -> list[Account]:
    """Accounts someone can log in with: not roles, not locked (MySQL 8 roles are locked accounts)."""
    return [a for a in accounts(snap) if not a.is_role and not a.locked and a.user != "mariadb.sys"]


def _current_account(snap: Any) -> str | None:
    for r in records(snap["security"]):
        if r.get("account"):
            return str(r["account"])
    return None


def _is_current(a: Account, current: str | None) -> bool:
    return current is not None and current == f"{a.user}@{a.host}"


def _strong_auth(snap: Any) -> tuple[str | None, bool]:
    """(the strong password plugin this server offers, whether it must be installed first)."""
    plugins = {str(r.get("name")): str(r.get("status") or "") for r in records(snap["auth_plugins"])}
    if snap.meta.get("flavor") == "mariadb":
        for name in ("ed25519", "parsec"):
            if name in plugins:
                return name, plugins[name] != "ACTIVE"
        return None, False
    if "caching_sha2_password" in plugins:
        return "caching_sha2_password", False
    return None, False


def _set_password_sql(snap: Any, a: Account, install_first: bool = True) -> str:
    plugin, install = _strong_auth(snap)
    if plugin in ("ed25519", "parsec"):
        sql = f"ALTER USER {a.sql_name} IDENTIFIED VIA {plugin} USING PASSWORD('<a new strong password>');"
        return (f"INSTALL SONAME 'auth_{plugin}';\n" if install and install_first else "") + sql
    if plugin == "caching_sha2_password":
        return f"ALTER USER {a.sql_name} IDENTIFIED WITH caching_sha2_password BY '<a new strong password>';"
    return f"ALTER USER {a.sql_name} IDENTIFIED BY '<a new strong password>';"


@check("anonymous_account", "security", engines=ENGINES)
def anonymous_account(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Accounts with an empty user name: anyone may log in as them (MySQLTuner: "anonymous account").

    Why: ``''@'localhost'`` matches every user name from that host and is picked before more general
    accounts (``'app'@'%'``), so real users may silently log in as the anonymous one with its
    privileges; old installations created them for testing. Reads ``mysql.global_priv`` / ``mysql.user``.
    Fix: ``DROP USER ''@'host'``.
    """
    for a in accounts(snap):
        if a.user or a.is_role:
            continue
        yield Finding(
            check="anonymous_account", severity="critical" if not a.local else "warning",
            title=f"Anonymous account {a.name}: any user name can log in" + ("" if a.local else " from the network"),
            object={"role": a.name},
            evidence={"host": a.host, "empty_password": a.empty_password, "plugins": a.plugins,
                      "global_privileges": sorted(a.privileges) or None, "locked": a.locked},
            recommendation="Drop it: nothing should log in without a user name.",
            sql=f"DROP USER {a.sql_name};")


@check("weak_auth", "security", engines=ENGINES)
def weak_auth(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Accounts that log in without a password, or with a weak password hash.

    Why: an account with an empty password (and a password plugin) lets anyone who reaches the
    server in; critical from the network, a warning from localhost. ``mysql_old_password`` is
    broken; ``mysql_native_password`` stores an unsalted SHA-1 hash (deprecated in MySQL 8.0,
    off by default in 8.4, removed in 9) when the server offers ``caching_sha2_password`` (MySQL)
    or ``ed25519``/``parsec`` (MariaDB, as a plugin to install). Locked accounts and roles are left out;
    socket-authenticated accounts have no password to be empty.
    Reads ``mysql.global_priv`` (MariaDB) / ``mysql.user`` (MySQL), never the hashes.
    Fix: ``ALTER USER … IDENTIFIED VIA ed25519 USING PASSWORD('…')`` (MariaDB) or ``IDENTIFIED WITH
    caching_sha2_password BY '…'`` (MySQL).
    """
    live = _live(snap)
    for a in live:
        if a.user and a.empty_password:
            yield Finding(
                check="weak_auth", severity="critical" if not a.local else "warning",
                title=f"Account {a.name} has no password" + ("" if a.local else " and is reachable from the network"),
                object={"role": a.name},
                evidence={"host": a.host, "plugins": a.plugins, "empty_password": True,
                          "global_privileges": sorted(a.privileges) or None, "all_privileges": a.all_privileges},
                recommendation="Set a strong password (or drop the account if nothing uses it).",
                sql=_set_password_sql(snap, a))
    old = [a for a in live if "mysql_old_password" in a.plugins and not a.empty_password]
    if old:
        yield Finding(
            check="weak_auth", severity="critical",
            title=f"{len(old)} account(s) use mysql_old_password, a broken pre-4.1 hash",
            object={"role": old[0].name}, evidence={"accounts": [a.name for a in old]},
            recommendation="Move them to a strong plugin with a new password.",
            sql="\n".join(_set_password_sql(snap, a, install_first=i == 0) for i, a in enumerate(old)))
    plugin, install = _strong_auth(snap)
    native = [a for a in live if a.plugins and a.plugins[0] == "mysql_native_password" and not a.empty_password
              and a.user]
    if native and plugin:
        mysql = snap.meta.get("flavor") == "mysql"
        yield Finding(
            check="weak_auth", severity="warning" if mysql else "info",
            title=f"{len(native)} account(s) use mysql_native_password where {plugin} is available",
            object={"role": native[0].name},
            evidence={"accounts": [a.name for a in native], "available": plugin,
                      "install_needed": install, "server_version": snap.server_version},
            recommendation=("mysql_native_password keeps an unsalted SHA-1 of the password"
                            + (" and is deprecated (off by default in MySQL 8.4, removed in 9.0)" if mysql else "")
                            + f"; move each account to {plugin} with a new password (clients need a connector "
                            "that supports it)."),
            sql="\n".join(([f"INSTALL SONAME 'auth_{plugin}';"] if install else [])
                          + [_set_password_sql(snap, a, install_first=False) for a in native[:50]]))


@check("superuser_role", "security", engines=ENGINES)
def superuser_role(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Accounts with ALL PRIVILEGES or SUPER that can log in from any host (``%`` or another wildcard).

    Why: an administrator reachable from the network turns one leaked or guessed password into full
    control of the server (SUPER: kill sessions, change global settings, bypass read_only; ALL:
    also FILE, SHUTDOWN and every table). MySQLTuner flags every ``'%'`` account; dbxray reports the
    ones that matter most: admins (critical from ``%``, warning from another pattern or remote host).
    Local admins (localhost, 127.0.0.1, ::1) are not reported.
    Fix: keep admins on localhost (``RENAME USER``, or ``DROP USER`` when a local twin exists) or
    restrict the host to the administrators' subnet.
    """
    live = _live(snap)
    names = {(a.user, a.host.lower()) for a in live}
    for a in live:
        if a.local or not (a.all_privileges or "SUPER" in a.privileges):
            continue
        twin = next((h for h in LOCAL_HOSTS if (a.user, h) in names), None)
        what = "ALL PRIVILEGES" if a.all_privileges else "SUPER"
        if twin:
            sql = (f"DROP USER {a.sql_name};  -- {a.user}@{twin} remains for local administration")
        else:
            sql = (f"RENAME USER {a.sql_name} TO '{a.user.replace(chr(39), chr(39) * 2)}'@'localhost';"
                   "  -- or to the administrators' subnet, e.g. '10.0.0.%'")
        yield Finding(
            check="superuser_role", severity="critical" if a.host == "%" else "warning",
            title=f"Administrator {a.name} ({what}) can log in from "
                  + ("any host" if a.host == "%" else f"hosts matching {a.host}"),
            object={"role": a.name},
            evidence={"host": a.host, "all_privileges": a.all_privileges, "super": "SUPER" in a.privileges,
                      "grant_option": "GRANT OPTION" in a.privileges, "plugins": a.plugins,
                      "empty_password": a.empty_password, "local_twin": twin},
            recommendation=("Administrators should log in locally (or through a bastion) only; applications "
                            "should use accounts with the privileges they need on their own database."),
            sql=sql)


@check("global_privilege", "security", engines=ENGINES)
def global_privilege(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Accounts that are not administrators yet hold global SUPER, FILE or PROCESS.

    Why: FILE reads and writes files as the server's OS user (``LOAD_FILE('/etc/…')``, ``SELECT …
    INTO OUTFILE``) where ``secure_file_priv`` allows; SUPER changes global settings, kills any
    session and writes despite read_only; PROCESS shows every session's statements (with the literals
    in them: passwords, personal data). Application accounts need none of them. PROCESS is what
    monitoring needs (dbxray's own account is not reported for it) and is only info.
    Reads ``mysql.global_priv`` / ``mysql.user``; admins (ALL PRIVILEGES) are ``superuser_role``'s.
    Fix: ``REVOKE … ON *.* FROM …``.
    """
    current = _current_account(snap)
    for a in _live(snap):
        if a.all_privileges:
            continue
        held = [p for p in DANGEROUS if p in a.privileges]
        if _is_current(a, current):
            held = [p for p in held if p != "PROCESS"]
        if not held:
            continue
        remote_super = "SUPER" in held and not a.local  # superuser_role reports it
        if remote_super:
            held = [p for p in held if p != "SUPER"]
            if not held:
                continue
        severity = "info" if held == ["PROCESS"] else "warning"
        yield Finding(
            check="global_privilege", severity=severity,
            title=f"Account {a.name} holds global {', '.join(held)} without being an administrator",
            object={"role": a.name},
            evidence={"host": a.host, "privileges": held, "global_privileges": sorted(a.privileges),
                      "is_dbxray_account": _is_current(a, current)},
            recommendation=("Revoke what it does not need: FILE reads and writes server files, SUPER overrides "
                            "settings and read_only, PROCESS shows every session's statements."),
            sql=f"REVOKE {', '.join(held)} ON *.* FROM {a.sql_name};")


def _listens_beyond_loopback(snap: Any) -> tuple[bool, str]:
    if truthy(setting(snap, "skip_networking")):
        return False, "skip_networking=ON"
    bind = str(setting(snap, "bind_address") or "").strip()
    if not bind:
        return True, "bind_address not set (all interfaces)"
    for item in (x.strip() for x in bind.split(",") if x.strip()):
        if item in ("*", "::", "0.0.0.0"):
            return True, f"bind_address={bind}"
        if item.lower() == "localhost":
            continue
        try:
            if not ipaddress.ip_address(item).is_loopback:
                return True, f"bind_address={bind}"
        except ValueError:
            return True, f"bind_address={bind} (a host name)"
    return False, f"bind_address={bind}"


def _secure_file_priv(snap: Any) -> tuple[str | None, bool | None]:
    """(the value, disabled?) from the security collector (real NULL), else None when not read."""
    for r in records(snap["security"]):
        return r.get("secure_file_priv"), truthy(r.get("secure_file_priv_disabled"))
    return None, None


@check("insecure_setting", "security", engines=ENGINES)
def insecure_setting(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Server settings that open the server to its clients' files, the file system or the network.

    Why: each one widens what a client, a file path or the network can reach:

    * ``local_infile=ON``: any client may ``LOAD DATA LOCAL INFILE``, and a malicious server can read
      files from the client; ON is the MariaDB default.
    * ``secure_file_priv`` empty (or ``/``): ``LOAD DATA INFILE``, ``SELECT … INTO OUTFILE`` and ``LOAD_FILE()`` reach
      every file the server's OS user can (NULL disables them, a directory confines them); a warning
      when some non-admin account holds FILE.
    * ``require_secure_transport=OFF`` on a server listening beyond loopback (``bind_address``,
      ``skip_networking``): passwords and data may cross the network unencrypted.
    * ``skip_name_resolve=OFF``: every new connection waits on a reverse DNS lookup, and account host
      names depend on DNS; the evidence lists accounts defined by host name (they stop matching once it
      is on). MySQLTuner checks it and require_secure_transport; it has no local_infile nor
      secure_file_priv check.

    Reads the global variables (no privilege needed).
    Fix: the SET GLOBAL statement where the setting is dynamic, and the line for the config file.
    """
    if truthy(setting(snap, "local_infile")):
        yield Finding(
            check="insecure_setting", severity="warning", title="local_infile is ON: clients may load local files",
            object={"setting": "local_infile"}, evidence={"local_infile": setting(snap, "local_infile")},
            recommendation="Turn it off unless an application needs LOAD DATA LOCAL INFILE.",
            sql="SET GLOBAL local_infile = OFF;\n-- and in the [mysqld] section of the config file: local_infile = 0")
    value, disabled = _secure_file_priv(snap)
    if disabled is False and str(value or "").strip() in ("", "/"):
        holders = [a.name for a in _live(snap) if "FILE" in a.privileges and not a.all_privileges]
        yield Finding(
            check="insecure_setting", severity="warning" if holders else "info",
            title=f"secure_file_priv is {'empty' if not str(value or '').strip() else repr(value)}: file import/export "
                  "may read and write any directory",
            object={"setting": "secure_file_priv"},
            evidence={"secure_file_priv": value, "non_admin_accounts_with_file": holders or None},
            recommendation=("Confine LOAD DATA INFILE / SELECT INTO OUTFILE / LOAD_FILE() to one directory, or "
                            "disable them (an empty value, not NULL, allows every directory). Read-only: a "
                            "restart applies it."),
            sql="-- in the [mysqld] section of the config file, then restart:\n"
                "secure_file_priv = /var/lib/mysql-files\n"
                "-- or, to disable file import/export: secure_file_priv = NULL")
    rst = setting(snap, "require_secure_transport")
    listening, how = _listens_beyond_loopback(snap)
    if rst is not None and not truthy(rst) and listening:
        ssl = setting(snap, "have_ssl")
        yield Finding(
            check="insecure_setting", severity="warning",
            title="require_secure_transport is OFF on a server listening beyond loopback",
            object={"setting": "require_secure_transport"},
            evidence={"require_secure_transport": rst, "listening": how, "have_ssl": ssl},
            recommendation=("Require TLS for every TCP connection"
                            + (" (configure ssl_cert/ssl_key first: have_ssl is " + str(ssl) + ")"
                               if ssl is not None and str(ssl).upper() != "YES" else "")
                            + "; clients must then connect with TLS."),
            sql="SET GLOBAL require_secure_transport = ON;\n"
                "-- and in the [mysqld] section of the config file: require_secure_transport = ON")
    snr = setting(snap, "skip_name_resolve")
    if snr is not None and not truthy(snr) and not truthy(setting(snap, "skip_networking")):
        named = sorted({a.name for a in _live(snap) if _host_name(a.host)})
        yield Finding(
            check="insecure_setting", severity="info" if not named else "warning",
            title="skip_name_resolve is OFF: every connection waits on a reverse DNS lookup",
            object={"setting": "skip_name_resolve"},
            evidence={"skip_name_resolve": snr, "accounts_with_host_names": named or None},
            recommendation=("Turn it on (a restart) so hosts are matched by IP only"
                            + ("; first recreate these accounts with IP addresses or subnets: " + ", ".join(named[:10])
                               if named else "") + "."),
            sql="-- in the [mysqld] section of the config file, then restart:\nskip_name_resolve = ON")


def _host_name(host: str) -> bool:
    """A host given by DNS name (not an IP, a pattern of IPs, or localhost)."""
    h = host.lower()
    if h in LOCAL_HOSTS or h == "%" or not h:
        return False
    stripped = h.split("/")[0].replace("%", "0").replace("_", "0")
    try:
        ipaddress.ip_address(stripped)
        return False
    except ValueError:
        return any(c.isalpha() for c in h)


__all__ = ["accounts", "anonymous_account", "global_privilege", "insecure_setting", "superuser_role", "weak_auth"]
