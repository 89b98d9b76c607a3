"""What the schema-design, transaction-pattern and caching checks of both engines share: the name rules
(money, event times), rates over the statistics window, and the working-set estimate.

Nothing here registers a check: each engine's ``checks/design.py``, ``checks/transactions_pattern.py`` and
``checks/caching.py`` do, reading their own catalogs, and call these helpers for the reasoning both
engines have in common.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

# Column names that say money: whole words (or snake/camel parts) such as price, amount, total_cost.
MONEY_NAMES = (r"price|amount|amt|cost|costs|total|subtotal|balance|fee|fees|salary|wage|wages|tax|vat|revenue|"
               r"payment|paid|refund|discount|charge|credit|debit|invoice|money|cash|fare|tip|budget|income|"
               r"expense|payout|deposit|commission|bonus|gross|net|msrp|currency")
# Column names that say "the time something happened" (the ones a multi-timezone app reads back).
EVENT_TIME_NAMES = (r".*_at|.*_on|.*_time|.*_ts|.*timestamp|.*_date_?time|created|updated|modified|deleted|"
                    r"occurred|happened|logged|sent|received|started|finished|ended|expires?|scheduled|last_seen|"
                    r"last_login|mtime|ctime|atime")
# Words that say the number measures something else (``total_weight``, ``tax_rate``, ``credit_score``).
NOT_MONEY_NAMES = (r"weight|count|cnt|qty|quantity|distance|km|kg|lbs|score|rate|ratio|percent|pct|percentage|share|"
                   r"lat|lng|lon|latitude|longitude|temp|temperature|duration|seconds|secs|ms|millis|minutes|hours|"
                   r"days|size|bytes|volume|height|width|length|depth|area|speed|points|votes|rank|factor|weightkg|"
                   r"load|cpu|memory|mem|time|version|probability|prob|confidence|accuracy|sigma|stddev|variance")
CURRENCY_COLUMN = re.compile(r"(^|_)(currency|ccy|iso_currency)(_|$)", re.IGNORECASE)


def name_parts(name: str) -> list[str]:
    """``totalAmountUsd`` / ``total_amount_usd`` -> ``['total', 'amount', 'usd']``."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", str(name))
    return [p for p in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if p]


@lru_cache(maxsize=64)
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(rf"^(?:{pattern})$", re.IGNORECASE)


def money_name(name: str, pattern: str = MONEY_NAMES, not_pattern: str = NOT_MONEY_NAMES) -> bool:
    """Does one of the column name's words say money (``unit_price``, ``totalCost``, ``fee``) and none say it
    measures something else (``total_weight``, ``tax_rate``, ``credit_score``)?"""
    parts = name_parts(name)
    yes, no = _compiled(pattern), _compiled(not_pattern)
    return any(yes.match(p) for p in parts) and not any(no.match(p) for p in parts)


def event_time_name(name: str, pattern: str = EVENT_TIME_NAMES) -> bool:
    """Does the column name say it records when something happened (``created_at``, ``sent``)?"""
    return bool(_compiled(pattern).match(str(name).lower()))


def has_currency_sibling(columns: Iterable[str]) -> str | None:
    """A ``currency`` column next to a number says the number is an amount of money."""
    return next((c for c in columns if CURRENCY_COLUMN.search(str(c))), None)


# -- rates ------------------------------------------------------------------------------------------------

GROUP_ABOVE = 10  # tables per schema above which a per-table convention finding becomes one per schema
LISTED = 20  # columns a schema-level finding lists by name


def by_schema(hits: list[tuple[tuple[str, str], list[Any]]], group_above: int) -> Iterator[tuple[str | None, list]]:
    """Per-table hits ``((schema, table), columns)`` as the findings to make: ``(None, [hit])`` for each table
    of a schema with at most ``group_above`` of them, ``(schema, hits)`` once for a schema with more. A
    convention followed by 5,000 tables is one decision, not 5,000 findings (the report, the diagnosis and
    the LLM payload would drown in them)."""
    schemas: dict[str, list] = {}
    for hit in hits:
        schemas.setdefault(hit[0][0], []).append(hit)
    for schema, items in schemas.items():
        if len(items) > group_above:
            yield schema, items
        else:
            for item in items:
                yield None, [item]


def schema_evidence(items: list, type_of: Any) -> dict[str, Any]:
    """The evidence of a schema-level finding made of ``by_schema`` hits: how many tables and columns,
    the first ``LISTED`` columns as ``table.column: type`` (``type_of(column row)``), how many are not
    listed."""
    columns = [(key, c) for key, cols in items for c in cols]
    return {"tables": len(items), "column_count": len(columns),
            "columns": {f"{key[1]}.{c['column']}": type_of(c) for key, c in columns[:LISTED]},
            "columns_not_listed": max(len(columns) - LISTED, 0)}


def tables_text(n: int) -> str:
    return f"{n} table" + ("" if n == 1 else "s")


def per_hour(count: float, seconds: float | None) -> float | None:
    if not seconds or seconds <= 0:
        return None
    return float(count) * 3600.0 / float(seconds)


def window_text(seconds: float | None, basis: str) -> str:
    """``over 2.5 h (interval since the baseline)``: what a rate was measured over, for the evidence."""
    from dbxray.units import human_seconds

    return f"over {human_seconds(seconds)} ({basis})"


def pct(part: float, whole: float) -> float:
    return 100.0 * float(part) / float(whole) if whole else 0.0


# -- working set ----------------------------------------------------------------------------------------

@dataclass
class Relation:
    """One table (with its indexes) as the cache sees it: how often its pages are asked for, its size."""

    name: str
    accesses: float  # page (or row) requests over the window
    misses: float  # of those, how many missed the cache (0 when unknown)
    size_bytes: float


def working_set(relations: list[Relation], target_pct: float = 99.0) -> dict[str, Any]:
    """The smallest set of relations, densest first (requests per byte), that takes ``target_pct`` of all
    requests: the memory a cache needs for that hit ratio when whole relations are hot. An upper bound
    (only part of a big table may be hot); the densest relations are the ones a cache keeps anyway.
    """
    live = [r for r in relations if r.accesses > 0 and r.size_bytes and r.size_bytes > 0]
    total = sum(r.accesses for r in live)
    if not total:
        return {"bytes": 0.0, "relations": [], "covered_pct": 0.0}
    live.sort(key=lambda r: -r.accesses / r.size_bytes)
    need = total * target_pct / 100.0
    got, size, names = 0.0, 0.0, []
    for r in live:
        if got >= need:
            break
        got += r.accesses
        size += r.size_bytes
        names.append(r.name)
    by_misses = sorted((r for r in live if r.misses), key=lambda r: -r.misses)
    return {"bytes": size, "relations": names, "covered_pct": round(pct(got, total), 2),
            "total_bytes": sum(r.size_bytes for r in live),
            "top_missing": [{"relation": r.name, "misses": int(r.misses), "size_bytes": int(r.size_bytes)}
                            for r in by_misses[:5]]}


def round_up(n: float, chunk: float = 128 * 1048576) -> int:
    return int(math.ceil(max(n, 1) / chunk) * chunk)


# -- statements ---------------------------------------------------------------------------------------

VOLATILE_WORDS = re.compile(r"\b(now|current_timestamp|current_date|localtimestamp|clock_timestamp|random|rand|"
                            r"uuid|gen_random_uuid|nextval|sysdate|utc_timestamp|curdate|curtime|unix_timestamp|"
                            r"txid_current|pg_sleep|sleep|for\s+update|for\s+share|lock\s+in\s+share\s+mode)\b",
                            re.IGNORECASE)


def volatile(query: str) -> str | None:
    """The word that makes a SELECT's answer change on every call (now(), random(), FOR UPDATE), if any."""
    m = VOLATILE_WORDS.search(str(query or ""))
    return " ".join(m.group(1).split()).lower() if m else None
