"""``dbxray indexes`` on MySQL / MariaDB: advice from the digests and information_schema cardinality,
with the thresholds of ``[checks.missing_index]`` (and ``--min-improvement``)."""

from __future__ import annotations

from typing import Any

from dbxray.engine import IndexAdvice
from dbxray.errors import BadInput


def index_advice(session: Any, queries: list[str], config: Any, verify: bool, progress: Any) -> IndexAdvice:
    from dbxray.checks import known_options, load_all
    from dbxray.collect import run_collectors
    from dbxray.engines.mysql.advisor import advise as mysql_advisor

    if verify:
        raise BadInput("--verify is PostgreSQL only: MySQL/MariaDB cannot build an index inside a transaction "
                       "that is rolled back")
    info = load_all()[("missing_index", "mysql")]
    thresholds = config.thresholds("missing_index", info.thresholds, known=known_options("missing_index"))
    snap = run_collectors(session, only=mysql_advisor.COLLECTORS, progress=progress)
    progress("advising")
    findings = list(mysql_advisor.advise_mysql(session, snap, queries, thresholds=thresholds))
    return IndexAdvice(findings, snap, [], {})
