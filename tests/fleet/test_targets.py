"""``[targets.NAME]``: what the file may say, what it may not (a password), and how a target's
thresholds and ignores combine with the global ones. No database needed."""

from __future__ import annotations

import pytest

from dbxray.config import load_config
from dbxray.errors import BadInput
from dbxray.findings import Finding, assign_ids
from dbxray.fleet.targets import config_for, dsn_has_password


def config(tmp_path, text: str):
    path = tmp_path / "dbxray.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def refused(tmp_path, text: str) -> str:
    with pytest.raises(BadInput) as err:
        config(tmp_path, text)
    message = str(err.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("dsn", [
    "postgresql://monitor:hunter2@db1/shop",
    "postgresql://monitor@db1/shop?password=hunter2",
    "host=db1 user=monitor password=hunter2 dbname=shop",
    "mysql://monitor:hunter2@db1:3306/shop",
    "mariadb://monitor:hunter2@db1/shop",
])
def test_a_password_in_the_file_is_refused_without_echoing_it(tmp_path, dsn):
    message = refused(tmp_path, f'[targets.eu]\ndsn = "{dsn}"\n')
    assert message.startswith("config: [targets.eu] dsn holds a password")
    assert "dsn_env" in message and "~/.pgpass" in message and "PGPASSWORD" in message
    assert "hunter2" not in message


@pytest.mark.parametrize("dsn", ["postgresql://monitor@db1/shop", "host=db1 user=monitor dbname=shop",
                                 "mysql://monitor@db1/shop", "postgresql:///shop?host=/var/run/postgresql"])
def test_a_dsn_without_a_password_is_taken(tmp_path, dsn):
    assert not dsn_has_password(dsn)
    cfg = config(tmp_path, f'[targets.eu]\ndsn = "{dsn}"\n')
    assert cfg.targets["eu"].resolve_dsn() == dsn


def test_dsn_env_is_read_when_the_target_runs_and_a_missing_variable_fails_that_target_only(tmp_path):
    cfg = config(tmp_path, '[targets.a]\ndsn_env = "A_DSN"\n[targets.b]\ndsn_env = "B_DSN"\n')
    assert list(cfg.targets) == ["a", "b"]  # loading does not need the variables
    assert cfg.targets["a"].resolve_dsn({"A_DSN": " postgresql://x:pw@h/db "}) == "postgresql://x:pw@h/db"
    with pytest.raises(BadInput) as err:
        cfg.targets["b"].resolve_dsn({"A_DSN": "postgresql://h/db", "B_DSN": "  "})
    assert str(err.value) == "environment variable B_DSN is not set (dsn_env of [targets.b])"


@pytest.mark.parametrize("text, expected", [
    ('[targets.eu]\ndsn_env = "X"\ndsn_evn = "Y"\n', "unknown [targets.eu] option 'dsn_evn'; did you mean 'dsn_env'?"),
    ('[targets.eu]\ndsn_env = "X"\nignor = []\n', "did you mean 'ignore'?"),
    ('[targets.eu]\ndsn_env = "X"\n[targets.eu.checks.slow_query]\nmean_mss = 5\n',
     "config: [targets.eu]: unknown threshold of check 'slow_query' 'mean_mss'; did you mean 'mean_ms'?"),
    ('[targets.eu]\ndsn_env = "X"\n[targets.eu.checks.slow_qurey]\nmean_ms = 5\n',
     "config: [targets.eu]: unknown check 'slow_qurey'; did you mean 'slow_query'?"),
    ('[targets.eu]\ndsn_env = "X"\n[targets.eu.plans.disk_sort]\nbogus = 1\n', "[targets.eu]: plan rule 'disk_sort'"),
    ('[targets.eu]\ndsn_env = "X"\nignore = ["missing_indx:public.orders"]\n',
     "unknown check in [targets.eu] ignore 'missing_indx'; did you mean 'missing_index'?"),
    ('[targets.eu]\ndsn_env = "X"\nignore = "superuser_role"\n', "ignore must be a list of strings"),
    ('[targets.eu]\ndsn = "postgresql://h/db"\ndsn_env = "X"\n', "needs exactly one of dsn or dsn_env"),
    ("[targets.eu]\n", "needs exactly one of dsn or dsn_env"),
    ('[targets.eu]\ndsn_env = "EU-DSN"\n', "dsn_env must name an environment variable"),
    ('[targets."eu prod"]\ndsn_env = "X"\n', "target name 'eu prod' must be letters"),
    ('[targets.eu]\ndsn = "ftp://h/db"\n', "config: [targets.eu] dsn: unsupported DSN scheme 'ftp'"),
    ('[target.eu]\ndsn_env = "X"\n', "unknown section 'target'; did you mean 'targets'?"),
])
def test_mistakes_are_one_line_naming_the_nearest_valid_key(tmp_path, text, expected):
    assert expected in refused(tmp_path, text)


def test_a_target_merges_its_thresholds_over_the_global_ones(tmp_path):
    cfg = config(tmp_path, """
        [checks.slow_query]
        mean_ms = 50
        min_calls = 10
        [checks.superuser_role]
        enabled = false
        [targets.eu]
        dsn_env = "EU"
        ignore = ["missing_primary_key", "missing_index:public.orders"]
        [targets.eu.checks.slow_query]
        mean_ms = 200
        [targets.us]
        dsn_env = "US"
    """)
    eu = config_for(cfg, cfg.targets["eu"])
    assert eu.checks["slow_query"] == {"mean_ms": 200, "min_calls": 10}
    assert not eu.enabled("superuser_role")
    assert eu.targets == {} and eu.ignore == ("missing_primary_key", "missing_index:public.orders")
    us = config_for(cfg, cfg.targets["us"])
    assert us.checks["slow_query"] == {"mean_ms": 50, "min_calls": 10} and us.ignore == ()
    assert cfg.checks["slow_query"] == {"mean_ms": 50, "min_calls": 10}  # the global config is not changed


def test_ignore_matches_a_check_or_the_start_of_a_finding_id_up_to_a_separator(tmp_path):
    cfg = config(tmp_path, '[targets.eu]\ndsn_env = "EU"\nignore = ["missing_primary_key", '
                           '"missing_index:public.orders", "unused_index:public.big"]\n')
    eu = config_for(cfg, cfg.targets["eu"])
    findings = [
        Finding("missing_primary_key", "warning", "a", object={"schema": "public", "table": "audit"}),
        Finding("missing_index", "warning", "b", object={"schema": "public", "table": "orders",
                                                          "columns": ["customer_id"], "query_id": "42"}),
        Finding("missing_index", "warning", "c", object={"schema": "public", "table": "orders_archive",
                                                          "columns": ["created_at"]}),
        Finding("unused_index", "info", "d", object={"schema": "public", "table": "big", "index": "big_x"}),
        Finding("unused_index", "info", "e", object={"schema": "public", "table": "bigger", "index": "bigger_x"}),
        Finding("missing_fk_index", "warning", "g", object={"schema": "public", "table": "orders"}),
    ]
    assign_ids(findings)
    assert findings[1].id == "missing_index:public.orders:customer_id:query=42"
    kept = [f.id for f in findings if not eu.ignored(f)]
    assert kept == ["missing_index:public.orders_archive:created_at", "unused_index:public.bigger.bigger_x",
                    "missing_fk_index:public.orders"]
