"""Three small shops on the shared throwaway PostgreSQL (``pg`` fixture), a config file per test, and
the CLI run as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

DBXRAY = str(Path(sys.executable).with_name("dbxray"))

# planted: orders.customer_id has no index (missing_fk_index, 20,000 rows), audit has no primary key
SEED = """
    CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
    CREATE TABLE customers (id int PRIMARY KEY, name text);
    CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers (id), total int);
    CREATE TABLE audit (at timestamptz, what text);
    INSERT INTO customers SELECT g, 'c' || g FROM generate_series(1, 2000) g;
    INSERT INTO orders SELECT g, 1 + g % 2000, g FROM generate_series(1, 20000) g;
    ANALYZE;
"""


def seed(pg, name: str, queries: int = 20) -> None:
    pg.run(name, SEED)
    with pg.connect(name) as conn:
        for i in range(queries):
            conn.execute("SELECT count(*) FROM orders WHERE customer_id = %s", (i + 1,))


@pytest.fixture(scope="session")
def shops(pg):
    """Three seeded databases: (server, [names])."""
    names = [pg.new_database("fleet") for _ in range(3)]
    for name in names:
        seed(pg, name)
    yield pg, names
    for name in names:
        pg.drop_database(name)


def cli(*args: str, cwd: Path, env: dict | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DBXRAY_", "DATABASE_URL"))}
    return subprocess.run([DBXRAY, *args], capture_output=True, text=True, timeout=timeout, cwd=cwd,
                          env={**clean, "NO_PROXY": "127.0.0.1,localhost", **(env or {})})


def write_config(directory: Path, text: str) -> Path:
    path = directory / "dbxray.toml"
    path.write_text(text, encoding="utf-8")
    return path


def targets_toml(names: dict[str, str], extra: str = "") -> str:
    """``[targets.NAME] dsn_env = "DSN_NAME"`` for each name (dashes become underscores)."""
    return "".join(f'[targets.{n}]\ndsn_env = "{env_var(n)}"\n' for n in names) + extra


def env_var(name: str) -> str:
    return "DSN_" + name.upper().replace("-", "_")


def fleet_env(names: dict[str, str]) -> dict[str, str]:
    return {env_var(n): dsn for n, dsn in names.items() if dsn is not None}


def lines_about(stderr: str, name: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith(f"dbxray: {name}: ")]


def table(text: str) -> dict[str, list[str]]:
    """The summary table's rows by target: [exit, status, crit, warn, info, seconds, note...]."""
    lines = text.splitlines()
    start = max(i for i, line in enumerate(lines) if line.startswith("TARGET "))
    rows = {}
    for line in lines[start + 1:]:
        if " target(s): " in line:
            break
        cells = line.split()
        rows[cells[0]] = cells[1:]
    return rows
