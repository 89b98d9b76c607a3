"""What a PostgreSQL statement is, before dbxray lets it near a server: one statement only, and does
it write? Parsing is pglast's (PostgreSQL's own parser), never a regex.
"""

from __future__ import annotations

from dbxray.errors import BadInput, UnsafeStatement
from dbxray.plans.model import StatementInfo

_PG_READ_NODES = {"SelectStmt"}
_PG_WRITE_NODES = {"InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt"}


def inspect_pg(sql: str) -> StatementInfo:
    """Parse one PostgreSQL statement; refuse several, refuse anything that is not a query or DML."""
    import pglast
    from pglast import ast

    text = (sql or "").strip()
    if not text:
        raise BadInput("empty statement")
    try:
        stmts = pglast.parse_sql(text)
    except pglast.parser.ParseError as exc:
        raise BadInput(f"cannot parse the statement: {exc}") from None
    if len(stmts) != 1:
        raise UnsafeStatement(f"{len(stmts)} statements given: dbxray explains exactly one statement at a time")
    raw = stmts[0]
    node = raw.stmt
    kind = type(node).__name__
    if kind == "ExplainStmt":
        raise BadInput("give the statement itself, without EXPLAIN: dbxray adds the options it needs")
    if kind not in _PG_READ_NODES | _PG_WRITE_NODES:
        raise UnsafeStatement(f"only SELECT, INSERT, UPDATE, DELETE and MERGE can be explained, not {kind}")
    writes = kind in _PG_WRITE_NODES
    params = 0
    for sub in walk_ast(node):
        name = type(sub).__name__
        if name in _PG_WRITE_NODES:
            writes = True  # data-modifying CTE
        elif name == "SelectStmt" and (getattr(sub, "intoClause", None) or getattr(sub, "lockingClause", None)):
            writes = True
        elif isinstance(sub, ast.ParamRef):
            params = max(params, sub.number)
    location, length = raw.stmt_location or 0, raw.stmt_len or len(text)
    body = text[location:location + length] if length else text[location:]
    return StatementInfo(body.strip().rstrip(";").strip(), kind, writes, params)


def walk_ast(node):
    """Every pglast AST node at or below ``node`` (through lists and tuples), iteratively: deep
    expressions never hit the recursion limit."""
    from pglast import ast

    stack = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, (list, tuple)):
            stack.extend(cur)
        elif isinstance(cur, ast.Node):
            yield cur
            for attr in cur.__slots__:
                value = getattr(cur, attr, None)
                if isinstance(value, (ast.Node, list, tuple)):
                    stack.append(value)
