"""Index advice for MySQL and MariaDB: candidates from the statements that read whole tables.

Where PostgreSQL has HypoPG, MySQL and MariaDB have no hypothetical indexes, so nothing
here is proven by the planner: every finding says so (``evidence.proven = False``) and
carries the ``EXPLAIN`` of the statement as it runs today (the full scan, ``type = ALL``).

How a candidate is built (the same rules as the PostgreSQL advisor):

* statements: performance_schema digests that used no index (or no good one) and examine
  many rows per row returned; the ``mysql.slow_log`` fallback (ratio only); and any
  statement the user passes, with its literals;
* each statement is parsed with sqlglot's MySQL dialect into per-table predicates:
  equality (``=``, ``IN``, ``IS NULL``, join columns), range (``<``, ``BETWEEN``,
  ``LIKE 'abc%'``) and ``ORDER BY``; predicates no B-tree can serve (a function of the
  column, ``LIKE '%x'``, ``<>``, ``OR``) are recorded as the reason nothing is suggested;
* per table: equality columns first, most selective first (``information_schema``
  cardinality, MariaDB's ``mysql.column_stats``), then one range or sort column;
* skipped: tiny tables, and candidates an existing index already serves as its prefix;
* candidates on one table whose columns are a prefix of another's merge into the longer one.
"""

from __future__ import annotations

from dbxray.engines.mysql.advisor.candidates import Advice, Candidate, find_candidates
from dbxray.engines.mysql.advisor.constants import COLLECTORS, DEFAULTS
from dbxray.engines.mysql.advisor.explain import advise_mysql, explain, sample_statement
from dbxray.engines.mysql.advisor.parse import normalize_digest, parse_statement
from dbxray.engines.mysql.advisor.sql import finding_for

__all__ = [
    "COLLECTORS",
    "DEFAULTS",
    "Advice",
    "Candidate",
    "advise_mysql",
    "explain",
    "find_candidates",
    "finding_for",
    "normalize_digest",
    "parse_statement",
    "sample_statement",
]
