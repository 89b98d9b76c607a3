"""What a MySQL/MariaDB statement is, before dbxray lets it near a server: one statement only, and
does it write? Parsing is sqlglot's (MySQL dialect), never a regex.
"""

from __future__ import annotations

from dbxray.errors import BadInput, UnsafeStatement
from dbxray.plans.model import StatementInfo


def inspect_mysql(sql: str) -> StatementInfo:
    """Parse one MySQL/MariaDB statement with sqlglot."""
    import sqlglot
    from sqlglot import exp

    text = (sql or "").strip()
    if not text:
        raise BadInput("empty statement")
    try:
        trees = [t for t in sqlglot.parse(text, read="mysql") if t is not None]
    except sqlglot.errors.ParseError as exc:
        raise BadInput(f"cannot parse the statement: {str(exc).splitlines()[0]}") from None
    if len(trees) != 1:
        raise UnsafeStatement(f"{len(trees)} statements given: dbxray explains exactly one statement at a time")
    tree = trees[0]
    writes_types = (exp.Insert, exp.Update, exp.Delete, exp.Merge)
    if isinstance(tree, writes_types):
        kind, writes = type(tree).__name__, True
    elif isinstance(tree, (exp.Select, exp.Union, exp.Intersect, exp.Except)):
        kind = "Select"
        writes = bool(tree.args.get("locks")) or bool(tree.find(exp.Into))
    else:
        raise UnsafeStatement(f"only SELECT, INSERT, UPDATE and DELETE can be explained, not {type(tree).__name__}")
    params = len(list(tree.find_all(exp.Placeholder)))
    return StatementInfo(text.rstrip(";").strip(), kind, writes, params)
