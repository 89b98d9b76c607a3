"""Statement -> what each table is asked for: the predicates and orderings an index could serve.

Parsing is PostgreSQL's own (pglast). Column references are placed through aliases, joins,
subqueries, CTEs and correlated sublinks, and against the catalog: an unqualified column in a
join can only be placed by knowing which table has it. Predicates a B-tree cannot serve
(``LIKE '%x'``, a function of the column) are kept apart so the advisor can say why it
suggests nothing for them. The model is in ``statement``, name resolution in ``scopes``, the walk
in ``walk`` and the classification of conditions in ``conditions``.
"""

from __future__ import annotations

from typing import Any

from dbxray.engines.postgres.advisor.statement import ParsedStatement, Resolver
from dbxray.engines.postgres.advisor.walk import Analyzer
from dbxray.engines.postgres.guard import walk_ast

_READ_KINDS = {"SelectStmt", "UpdateStmt", "DeleteStmt", "InsertStmt"}


def parse(sql: str) -> Any:
    """The raw statement node of one statement (pglast), or raise ValueError with the reason."""
    import pglast

    try:
        stmts = pglast.parse_sql(sql)
    except pglast.parser.ParseError as exc:
        raise ValueError(f"cannot parse: {exc}") from None
    if len(stmts) != 1:
        raise ValueError(f"{len(stmts)} statements")
    node = stmts[0].stmt
    if type(node).__name__ not in _READ_KINDS:
        raise ValueError(f"{type(node).__name__} is not a query")
    return node


def relation_names(node: Any) -> set[tuple[str | None, str]]:
    """Every (schema, name) a statement mentions in FROM/JOIN/UPDATE/DELETE (CTE names included)."""
    from pglast import ast

    return {(n.schemaname, n.relname) for n in walk_ast(node) if isinstance(n, ast.RangeVar)}


def analyze(node: Any, text: str, resolve: Resolver) -> ParsedStatement:
    """Place every predicate of ``node`` on the table it filters."""
    az = Analyzer(resolve, node)
    out = ParsedStatement(text=text, kind=type(node).__name__)
    az.statement(node, None, out)
    out.accesses = az.accesses
    out.param_roles = az.param_roles
    return out
