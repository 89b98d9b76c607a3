"""What a MySQL/MariaDB statement groups and orders by (sqlglot), for the temporary-table plan rule:
the server groups in index order, with no temporary table, when one index starts with the WHERE
equality columns of the table and continues with the GROUP BY columns."""

from __future__ import annotations

from typing import Any


def statement_grouping(sql: str) -> dict[str, Any] | None:
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(sql, read="mysql")
    except Exception:
        return None
    select = tree if isinstance(tree, exp.Select) else tree.find(exp.Select)
    if select is None:
        return None
    tables: dict[str, str | None] = {}
    aliases: dict[str, str] = {}
    for t in select.find_all(exp.Table):
        if t.find_ancestor(exp.Subquery) is not None and t.find_ancestor(exp.Select) is not select:
            continue
        if t.name:
            tables[t.name] = t.db or None
            aliases[(t.alias or t.name).lower()] = t.name
            aliases[t.name.lower()] = t.name
    only = next(iter(tables)) if len(tables) == 1 else None

    def owner(col: Any) -> tuple[str, str] | None:
        if not isinstance(col, exp.Column) or not col.name:
            return None
        table = aliases.get(col.table.lower()) if col.table else only
        return (table, col.name) if table else None

    def columns_of(items: list[Any]) -> list[tuple[str, str]] | None:
        out = []
        for item in items:
            node = item.this if isinstance(item, exp.Ordered) else item
            found = owner(node)
            if found is None:
                return None  # an expression or an ambiguous column: no index serves it
            out.append(found)
        return out

    group = select.args.get("group")
    order = select.args.get("order")
    equalities: dict[str, list[str]] = {}
    where = select.args.get("where")
    if where is not None:
        for cond in where.find_all(exp.EQ):
            col, other = cond.this, cond.expression
            if not isinstance(col, exp.Column):
                col, other = other, col
            found = owner(col)
            if found and other is not None and other.find(exp.Column) is None:
                equalities.setdefault(found[0], [])
                if found[1] not in equalities[found[0]]:
                    equalities[found[0]].append(found[1])
    aggregated = []
    for agg in select.find_all(exp.AggFunc):
        for col in agg.find_all(exp.Column):
            found = owner(col)
            if found and found not in aggregated:
                aggregated.append(found)
    return {
        "aggregated": aggregated,
        "group_by": columns_of(list(group.expressions)) if group is not None else [],
        "order_by": columns_of(list(order.expressions)) if order is not None else [],
        "distinct": bool(select.args.get("distinct")),
        "equalities": equalities,
        "tables": tables,
        "columns": sorted({c.name.lower() for c in select.find_all(exp.Column) if c.name}),
    }
