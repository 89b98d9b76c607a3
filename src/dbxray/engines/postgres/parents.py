"""The batched form of a PostgreSQL N+1 lookup, written from its own parse tree.

``SELECT id, sku, price FROM products WHERE id = $1`` run once per item becomes one statement:

- ``… WHERE id = ANY($1)`` with an array of the keys (one round trip for the whole list);
- when the parent statement is known and one of its output columns feeds the lookup, the JOIN of the
  two: ``SELECT products.id, … FROM (<parent>) AS parent JOIN products ON products.id = parent.<col>``.

:func:`n_plus_one_extras` is what the ``n_plus_one`` check adds to its evidence, called through
``checks.parents.batched_evidence`` for a lookup of ``table`` by ``cols``.
"""

from __future__ import annotations

from typing import Any

from dbxray.checks.parents import likely_parent, parent_evidence


def batched_in_list(query: str, column: str) -> str | None:
    """``query`` with ``column = $n`` turned into ``column = ANY($n)`` (the key list as one array)."""
    import pglast
    from pglast import ast, enums
    from pglast.stream import RawStream

    from dbxray.engines.postgres.guard import walk_ast

    try:
        root = pglast.parse_sql(query)[0].stmt
    except Exception:
        return None
    changed = False
    for node in walk_ast(root):
        if isinstance(node, ast.A_Expr) and node.kind == enums.A_Expr_Kind.AEXPR_OP and node.name \
                and node.name[-1].sval == "=":
            sides = (node.lexpr, node.rexpr)
            col = next((s for s in sides if isinstance(s, ast.ColumnRef) and s.fields
                        and getattr(s.fields[-1], "sval", None) == column), None)
            par = next((s for s in sides if isinstance(s, ast.ParamRef)), None)
            if col is not None and par is not None:
                node.kind = enums.A_Expr_Kind.AEXPR_OP_ANY
                node.lexpr, node.rexpr = col, par
                changed = True
    return RawStream()(root) if changed else None


def _outputs(query: str) -> list[str]:
    """The output column names of a single SELECT (plain columns and aliases)."""
    import pglast
    from pglast import ast

    try:
        sel = pglast.parse_sql(query)[0].stmt
    except Exception:
        return []
    if not isinstance(sel, ast.SelectStmt) or not sel.targetList:
        return []
    out = []
    for rt in sel.targetList:
        if rt.name:
            out.append(rt.name)
        elif isinstance(rt.val, ast.ColumnRef) and isinstance(rt.val.fields[-1], ast.String):
            out.append(rt.val.fields[-1].sval)
    return out


def feeding_column(parent_query: str, table: str, column: str) -> str | None:
    """The parent's output column that most likely holds the child's key: the same name, ``<table>_id``
    (singular or plural), or the only column it returns."""
    outs = _outputs(parent_query)
    if not outs:
        return None
    singular = table[:-1] if table.endswith("s") else table
    for name in (column, f"{singular}_{column}", f"{table}_{column}"):
        if name in outs:
            return name
    return outs[0] if len(outs) == 1 else None


def batched_join(query: str, table: str, column: str, parent_query: str) -> str | None:
    """One statement for the parent and its lookups: the parent as a derived table joined to ``table``."""
    import pglast
    from pglast import ast
    from pglast.stream import RawStream

    from dbxray.engines.postgres.quoting import pg_ident

    feed = feeding_column(parent_query, table, column)
    if feed is None:
        return None
    try:
        sel = pglast.parse_sql(query)[0].stmt
    except Exception:
        return None
    if not isinstance(sel, ast.SelectStmt) or not sel.targetList:
        return None
    cols = []
    for rt in sel.targetList:
        if isinstance(rt.val, ast.ColumnRef) and isinstance(rt.val.fields[-1], ast.String):
            cols.append(f"{pg_ident(table)}.{pg_ident(rt.val.fields[-1].sval)}"
                        + (f" AS {pg_ident(rt.name)}" if rt.name else ""))
        else:
            cols.append(RawStream()(rt))
    return (f"SELECT {', '.join(cols)} FROM ({parent_query}) AS parent "
            f"JOIN {pg_ident(table)} ON {pg_ident(table)}.{pg_ident(column)} = parent.{pg_ident(feed)}")


def n_plus_one_extras(snap: Any, ranked_rows: list[dict[str, Any]], row: dict[str, Any], table: str,
                      cols: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """Parent and batched forms for one N+1 lookup: evidence keys (``parent_*``, ``batched_query``,
    ``batched_join``)."""
    out: dict[str, Any] = {}
    parent = likely_parent(ranked_rows, row)
    out.update(parent_evidence(parent, float(row.get("calls") or 0)))
    query = str(row.get("query") or "")
    if len(cols) == 1:
        batched = batched_in_list(query, cols[0])
        if batched:
            out["batched_query"] = batched
        if parent is not None:
            joined = batched_join(query, table, cols[0], str(parent[0].get("query") or ""))
            if joined:
                out["batched_join"] = joined
    return out


__all__ = ["batched_in_list", "batched_join", "feeding_column", "n_plus_one_extras"]
