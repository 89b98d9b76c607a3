"""The parent statement and the batched form of a MySQL / MariaDB N+1 lookup (digests).

A digest ``SELECT id, sku, price FROM products WHERE id = ?`` run once per item becomes one statement:

- ``… WHERE id IN (?, ?, …)`` with the keys the parent returned (one round trip for the whole list);
- when the parent digest is known and one of its output columns feeds the lookup, the JOIN of the two:
  ``SELECT products.id, … FROM (<parent>) AS parent JOIN products ON products.id = parent.<col>``.

:func:`n_plus_one_extras` is what the ``n_plus_one`` check adds to its evidence, called through
``checks.parents.batched_evidence`` with the ranked digest rows and the lookup's row (the table and key
column are read from the digest itself).
"""

from __future__ import annotations

from typing import Any

from dbxray.checks.parents import likely_parent, parent_evidence


def _lookup(query: str, snap: Any, schema: str | None) -> tuple[Any, str, str] | None:
    """(parsed tree, table, key column) of a single-table lookup ``… WHERE col = ?``."""
    from sqlglot import exp

    from dbxray.engines.mysql.advisor.catalog import columns_by_table
    from dbxray.engines.mysql.advisor.parse import parse_statement

    parsed = parse_statement(query, columns_by_table(snap), schema or snap.database or "")
    if parsed is None or parsed.kind != "select" or len(parsed.accesses) != 1:
        return None
    acc = next(iter(parsed.accesses.values()))
    if len(acc.eq) != 1 or not isinstance(parsed.tree, exp.Select):
        return None
    real = columns_by_table(snap).get((acc.schema, acc.table), {})
    tree = parsed.tree.copy()
    for col in tree.find_all(exp.Column):  # digests may upper-case names (ID): write them as the catalog does
        spelled = real.get(col.name.lower())
        if spelled:
            col.set("this", exp.to_identifier(spelled["column"]))
    return tree, acc.table, acc.eq[0]


def batched_in_list(tree: Any, column: str) -> str | None:
    """The lookup with ``column = ?`` turned into ``column IN (?, ?, …)``."""
    from sqlglot import exp

    tree = tree.copy()
    done = False
    for eq in list(tree.find_all(exp.EQ)):
        sides = (eq.this, eq.expression)
        col = next((s for s in sides if isinstance(s, exp.Column) and s.name.lower() == column.lower()), None)
        if col is not None and any(isinstance(s, exp.Placeholder) for s in sides):
            eq.replace(exp.In(this=col.copy(), expressions=[exp.Placeholder(), exp.Placeholder(), exp.Placeholder()]))
            done = True
    if not done:
        return None
    return tree.sql(dialect="mysql").replace("(?, ?, ?)", "(?, ?, …)")


def _outputs(query: str) -> list[str]:
    import sqlglot
    from sqlglot import exp

    from dbxray.engines.mysql.advisor.parse import normalize_digest

    try:
        tree = sqlglot.parse_one(normalize_digest(query) or "", read="mysql")
    except Exception:
        return []
    if not isinstance(tree, exp.Select):
        return []
    return [e.alias_or_name for e in tree.expressions if isinstance(e, exp.Column | exp.Alias) and e.alias_or_name]


def batched_join(tree: Any, table: str, column: str, parent_query: str) -> str | None:
    from sqlglot import exp

    from dbxray.engines.mysql.advisor.parse import normalize_digest
    from dbxray.engines.mysql.quoting import mysql_ident

    outs = _outputs(parent_query)
    singular = table[:-1] if table.endswith("s") else table
    lower = {o.lower(): o for o in outs}
    feed = next((lower[n] for n in (column.lower(), f"{singular}_{column}".lower(), f"{table}_{column}".lower())
                 if n in lower), outs[0] if len(outs) == 1 else None)
    if feed is not None and feed.lower() == column.lower():
        feed = column  # the same column: spelled as the catalog spells it
    if feed is None:
        return None
    cols = []
    for e in tree.expressions:
        if isinstance(e, exp.Column):
            cols.append(f"{mysql_ident(table)}.{mysql_ident(e.name)}")
        else:
            cols.append(e.sql(dialect="mysql"))
    parent = normalize_digest(parent_query) or parent_query
    return (f"SELECT {', '.join(cols)} FROM ({parent}) AS parent JOIN {mysql_ident(table)} "
            f"ON {mysql_ident(table)}.{mysql_ident(column)} = parent.{mysql_ident(feed)}")


def n_plus_one_extras(snap: Any, ranked_rows: list[dict[str, Any]], row: dict[str, Any], table: str = "",
                      cols: Any = ()) -> dict[str, Any]:
    """Parent (``parent_query_id``, ``parent_rows``, …) and batched forms (``batched_query``,
    ``batched_join``) of one N+1 lookup digest."""
    out: dict[str, Any] = {}
    parent = likely_parent(ranked_rows, row)
    out.update(parent_evidence(parent, float(row.get("calls") or 0)))
    shape = _lookup(str(row.get("query") or ""), snap, row.get("schema"))
    if shape is None:
        return out
    tree, table, column = shape
    batched = batched_in_list(tree, column)
    if batched:
        out["batched_query"] = batched
    if parent is not None:
        joined = batched_join(tree, table, column, str(parent[0].get("query") or ""))
        if joined:
            out["batched_join"] = joined
    return out


__all__ = ["batched_in_list", "batched_join", "n_plus_one_extras"]
