"""What the collector SQL itself promises, checked on the files a DBA would review."""

from __future__ import annotations

import re

from dbxray.collect import ServerContext, choose, collectors_dir, load_specs

CATALOGS = ("information_schema.TABLES", "information_schema.STATISTICS", "information_schema.COLUMNS",
            "information_schema.KEY_COLUMN_USAGE", "mysql.innodb_index_stats", "mysql.column_stats",
            "events_statements_summary_by_digest", "table_io_waits_summary_by_index_usage", "mysql.slow_log")


def test_no_collector_ever_touches_the_buffer_pool_page_views():
    for path in collectors_dir("mysql").glob("*.sql"):
        text = "\n".join(line for line in path.read_text().upper().splitlines() if not line.startswith("--"))
        assert "INNODB_BUFFER_PAGE" not in text and "INNODB_BUFFER_STATS" not in text, path.name


def test_schema_wide_reads_are_filtered_to_the_target_and_bounded():
    for spec in load_specs("mysql"):
        body = "\n".join(line for line in spec.sql.splitlines() if not line.startswith("--"))
        for catalog in CATALOGS:
            if re.search(rf"FROM {re.escape(catalog)}\b", body, re.IGNORECASE) and spec.metric not in (
                    "server", "ps_setup", "innodb_data", "database"):
                assert "@dbxray_db" in body, (spec.path.name, catalog)
                assert re.search(r"\bLIMIT \d+", body), spec.path.name


def test_variants_per_flavour_and_version():
    specs = load_specs("mysql")

    def chosen(flavor: str, version: int) -> dict[str, str]:
        return {m: (s.path.name if not isinstance(s, str) else s)
                for m, s in choose(specs, ServerContext("mysql", version, flavor)).items()}

    maria = chosen("mariadb", 101119)
    assert maria["statements"] == "statements_mariadb.sql" and maria["lock_waits"] == "lock_waits.sql"
    assert maria["indexes"] == "indexes_mariadb_10.6.sql"
    assert chosen("mariadb", 100511)["indexes"] == "indexes_mariadb.sql"  # no IGNORED column before 10.6
    my80 = chosen("mysql", 80036)
    assert my80["statements"] == "statements_mysql80028.sql" and my80["lock_waits"] == "lock_waits_mysql80.sql"
    assert my80["indexes"] == "indexes_mysql80.sql" and my80["settings"] == "settings_mysql.sql"
    assert chosen("mysql", 80400)["lock_waits"] == "lock_waits_mysql80.sql"
    assert chosen("mysql", 80020)["statements"] == "statements_mysql80.sql"
    my57 = chosen("mysql", 50744)
    assert my57["statements"] == "statements_mysql.sql" and my57["lock_waits"] == "lock_waits.sql"
    assert my57["slow_log"].startswith("needs server version >= 8.0.4")
    assert "userstat_indexes" not in my80 or my80["userstat_indexes"] == "needs mariadb"
