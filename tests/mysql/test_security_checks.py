"""The MySQL/MariaDB security review on real MariaDB servers.

Hit: a throwaway MariaDB of its own, listening beyond loopback, with ``secure_file_priv`` = /
(every directory: an empty option value gives NULL here), ``skip_name_resolve`` off and
``local_infile`` on, and the accounts a DBA flags (anonymous, no
password, an admin from '%', an application account with FILE/PROCESS, one with SUPER, a host-name
account). Each finding's SQL is then run, and the same report no longer has it (the near miss is the
fixed server). Least privilege: an account that may read only mysql.global_priv gets the full account
review; one that may not gets the settings checks and a note naming the grant. The loopback-only
sandbox (``my_plain``) is the near miss for the network settings.
"""

from __future__ import annotations

import pytest

from dbxray.config import Config
from dbxray.pipeline import analyze_snapshot, collect_snapshot

SECURITY = ("anonymous_account", "weak_auth", "superuser_role", "global_privilege", "insecure_setting")


def _report(dsn: str):
    return analyze_snapshot(collect_snapshot(dsn), config=Config())


def _sec(rep) -> dict[tuple[str, str], object]:
    out = {}
    for f in rep.findings:
        if f.check in SECURITY:
            key = (f.check, f.object.get("role") or f.object.get("setting"))
            if f.check == "weak_auth" and "mysql_native_password" in f.title:
                key = ("weak_auth", "native")
            out[key] = f
    return out


@pytest.fixture(scope="module")
def exposed():
    from tests.support.mariadb import MariaDBSandbox, find_mariadb_binaries

    if not find_mariadb_binaries():
        pytest.skip("no MariaDB binaries on this machine")
    box = MariaDBSandbox(performance_schema=False, settings={
        "bind-address": "0.0.0.0", "skip-name-resolve": "OFF", "secure-file-priv": "/", "local-infile": "ON",
        "innodb-buffer-pool-size": "16M"})
    with box:
        with box.admin() as conn, conn.cursor() as cur:
            cur.execute("""
                CREATE DATABASE shop;
                DELETE FROM mysql.global_priv WHERE Host NOT IN ('localhost', '127.0.0.1') AND User = 'root';
                FLUSH PRIVILEGES;
                CREATE USER ''@'localhost';
                CREATE USER 'nopw'@'%';
                GRANT SELECT ON shop.* TO 'nopw'@'%';
                CREATE USER 'admin'@'%' IDENTIFIED BY 'adminpw';
                GRANT ALL PRIVILEGES ON *.* TO 'admin'@'%' WITH GRANT OPTION;
                CREATE USER 'app'@'%' IDENTIFIED BY 'apppw';
                GRANT SELECT, INSERT, UPDATE, DELETE ON shop.* TO 'app'@'%';
                GRANT FILE, PROCESS ON *.* TO 'app'@'%';
                CREATE USER 'ops'@'localhost' IDENTIFIED BY 'opspw';
                GRANT SUPER ON *.* TO 'ops'@'localhost';
                CREATE USER 'dev'@'build.example.com' IDENTIFIED BY 'devpw';
                CREATE USER 'auditor'@'127.0.0.1' IDENTIFIED BY 'auditpw';
                GRANT SELECT ON mysql.global_priv TO 'auditor'@'127.0.0.1';
                GRANT SELECT ON shop.* TO 'auditor'@'127.0.0.1';
                CREATE USER 'blind'@'127.0.0.1' IDENTIFIED BY 'blindpw';
                GRANT SELECT ON shop.* TO 'blind'@'127.0.0.1';
            """)
        yield box


def test_hits_then_the_fix_sql_clears_them(exposed):
    dsn = exposed.dsn("shop")
    found = _sec(_report(dsn))
    anon = found[("anonymous_account", "''@'localhost'")]
    assert anon.sql == "DROP USER ''@'localhost';"
    nopw = found[("weak_auth", "'nopw'@'%'")]
    assert nopw.severity == "critical" and "no password" in nopw.title
    assert nopw.sql.endswith("ALTER USER 'nopw'@'%' IDENTIFIED VIA ed25519 USING PASSWORD('<a new strong password>');")
    admin = found[("superuser_role", "'admin'@'%'")]
    assert admin.severity == "critical" and admin.evidence["all_privileges"] and admin.evidence["grant_option"]
    assert admin.sql.startswith("RENAME USER 'admin'@'%' TO 'admin'@'localhost';")
    app = found[("global_privilege", "'app'@'%'")]
    assert app.evidence["privileges"] == ["FILE", "PROCESS"]
    assert app.sql == "REVOKE FILE, PROCESS ON *.* FROM 'app'@'%';"
    ops = found[("global_privilege", "'ops'@'localhost'")]
    assert ops.evidence["privileges"] == ["SUPER"] and ops.severity == "warning"
    native = found[("weak_auth", "native")]
    assert {"'admin'@'%'", "'app'@'%'", "'ops'@'localhost'", "'dev'@'build.example.com'"} <= set(
        native.evidence["accounts"]) and native.severity == "info"  # MariaDB: not deprecated there
    assert native.sql.startswith("INSTALL SONAME 'auth_ed25519';")
    assert found[("insecure_setting", "local_infile")].sql.startswith("SET GLOBAL local_infile = OFF;")
    sfp = found[("insecure_setting", "secure_file_priv")]
    assert sfp.severity == "warning" and sfp.evidence["non_admin_accounts_with_file"] == ["'app'@'%'"]
    rst = found[("insecure_setting", "require_secure_transport")]
    assert rst.evidence["listening"] == "bind_address=0.0.0.0"
    snr = found[("insecure_setting", "skip_name_resolve")]
    assert snr.evidence["accounts_with_host_names"] == ["'dev'@'build.example.com'"]
    for bystander in ("'auditor'@'127.0.0.1'", "'blind'@'127.0.0.1'"):
        assert not any(k[1] == bystander for k in found)  # a password, no global privilege, local
    # the sandbox's root accounts have no password: reported, as warnings since they are local only
    assert found[("weak_auth", "'root'@'localhost'")].severity == "warning"
    assert ("superuser_role", "'root'@'localhost'") not in found

    # run every fix that needs no restart; the findings they address are gone
    with exposed.admin() as conn, conn.cursor() as cur:
        for f in (anon, app, ops, found[("insecure_setting", "local_infile")]):
            cur.execute(f.sql.splitlines()[0])
        for line in nopw.sql.splitlines():
            cur.execute(line.replace("<a new strong password>", "N0w-a-strong-one"))
        cur.execute(admin.sql.split(";")[0])
    after = _sec(_report(dsn))
    for key in (("anonymous_account", "''@'localhost'"), ("weak_auth", "'nopw'@'%'"), ("superuser_role", "'admin'@'%'"),
                ("global_privilege", "'app'@'%'"), ("global_privilege", "'ops'@'localhost'"),
                ("insecure_setting", "local_infile")):
        assert key not in after, key
    assert ("insecure_setting", "secure_file_priv") in after  # read-only: the config line and a restart fix it
    assert ("superuser_role", "'admin'@'localhost'") not in after  # a local admin is not reported


def test_least_privilege_reads_accounts_from_one_table(exposed):
    """SELECT on mysql.global_priv alone gives the whole account review; without it, the settings checks
    still run and a note says what was skipped and which grant would allow it."""
    audited = _report(f"mysql://auditor:auditpw@127.0.0.1:{exposed.port}/shop")
    checks = {f.check for f in audited.findings}
    assert {"weak_auth", "insecure_setting"} <= checks
    assert not any(n.startswith("the account review") for n in audited.notes)
    blind = _report(f"mysql://blind:blindpw@127.0.0.1:{exposed.port}/shop")
    checks = {f.check for f in blind.findings}
    assert "insecure_setting" in checks and not checks & {"weak_auth", "superuser_role", "anonymous_account"}
    notes = [n for n in blind.notes if n.startswith("the account review")]
    assert len(notes) == 1, blind.notes
    note = notes[0]
    assert "GRANT SELECT ON mysql.global_priv" in note and "permission denied" in note


def test_loopback_server_is_the_near_miss_for_network_settings(plain_db):
    """The plain sandbox listens on 127.0.0.1 only, resolves no names and has secure_file_priv NULL."""
    my, db = plain_db
    found = _sec(_report(my.dsn(db)))
    for setting in ("require_secure_transport", "skip_name_resolve", "secure_file_priv"):
        assert ("insecure_setting", setting) not in found
    assert ("insecure_setting", "local_infile") in found  # MariaDB's default is ON
