"""``--verify``: build each proposed index for real, measure its statements, roll everything back.

The only write dbxray ever does, and only when asked (meant for staging). Everything happens in
one transaction that is always rolled back; each index sits behind a savepoint, and each
measurement behind another, so a statement that times out (or a DELETE that would change what
the next run sees) leaves nothing behind. ``CREATE INDEX`` inside a transaction is the plain,
non-concurrent build: it holds a SHARE lock that blocks writes to the table until the
savepoint is rolled back, which is why the caller must say so before it starts.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from dbxray.engines.postgres.advisor.candidates import Candidate
from dbxray.engines.postgres.quoting import pg_literal
from dbxray.errors import BadInput
from dbxray.findings import Finding

PREPARED = "dbxray_verify"
LIMIT_VALUE, OFFSET_VALUE = "100", "0"
HIDDEN_VALUE = "(a value of the column from pg_stats: hidden, --show-values shows it)"


def lock_warning(findings: list[Finding], statement_timeout: float, lock_timeout: float) -> str:
    tables = sorted({f"{f.object['schema']}.{f.object['table']}" for f in findings})
    return (f"dbxray: --verify builds {len(findings)} index(es) for real on {', '.join(tables)}, inside a transaction "
            "that is rolled back afterwards. While each index builds, CREATE INDEX holds a lock that BLOCKS "
            "INSERT, UPDATE and DELETE on that table (bounded by statement_timeout "
            f"{statement_timeout:g} s and lock_timeout {lock_timeout:g} s). Run it on staging, not production.")


def verify_findings(session: Any, findings: list[Finding], helped: list[list[Any]],
                    statement_timeout: float | None = None, lock_timeout: float | None = None,
                    runs: int = 2, max_statements: int = 3, say: Callable[[str], None] | None = None) -> None:
    """Measure each finding's statements with EXPLAIN ANALYZE before and after building its index."""
    if session.scalar("SELECT pg_is_in_recovery()"):
        raise BadInput("--verify builds indexes, which a hot standby cannot do: run it against a (staging) primary")
    statement_timeout = statement_timeout or session.limits.statement_timeout
    lock_timeout = lock_timeout or session.limits.lock_timeout
    if say is None:
        import typer

        def say(msg: str) -> None:
            typer.echo(msg, err=True)
    say(lock_warning(findings, statement_timeout, lock_timeout))
    from dbxray.engines.postgres.advisor.catalog import Catalog

    catalog = Catalog(session)
    # parameter values first, read-only and under the session's own limits
    calls = [[_call_of(session, catalog, s) for s in stmts[:max_statements]] for stmts in helped]
    bound = str(max(1, int(statement_timeout * 1000)))
    with session.rolled_back(read_write=True):
        session.set_local("lock_timeout", str(max(1, int(lock_timeout * 1000))))
        for finding, stmts, stmt_calls in zip(findings, helped, calls):
            _verify_one(session, finding, stmts[:max_statements], stmt_calls, runs, bound)


def _verify_one(session: Any, finding: Finding, stmts: list[Any], calls: list[tuple], runs: int,
                bound: str) -> None:
    """Measure, build, measure, roll back to the savepoint. Only the measured statements and the build
    run under the --verify statement_timeout; the bookkeeping around them keeps the session's own."""
    obj, ev = finding.object, finding.evidence
    cand = Candidate(obj["schema"], obj["table"], tuple(obj["columns"]), tuple(ev.get("include") or ()))
    ev["verified"] = False
    default = str(session.scalar("SELECT current_setting('statement_timeout')"))
    session.query("SAVEPOINT dbxray_verify_index")
    try:
        before = [_measure(session, call, runs, bound) for call in calls]
        started = time.monotonic()
        try:
            session.set_local("statement_timeout", bound)
            session.query(cand.ddl(concurrently=False))
            session.set_local("statement_timeout", default)
        except Exception as exc:
            ev["verify_error"] = "index build failed: " + _why(exc)
            return
        ev["verify_build_ms"] = round((time.monotonic() - started) * 1000, 1)
        after = [_measure(session, call, runs, bound) for call in calls]
    finally:
        _rollback_to(session, "dbxray_verify_index")
    ev["verify_query_ids"] = [s.label for s in stmts]
    ev["verify_ms_before"] = [b[0] for b in before]
    ev["verify_ms_after"] = [a[0] for a in after]
    ev["verify_params"] = [c[2] or None for c in calls]
    fixed = sorted({k for c in calls for k, v in (c[2] or {}).items() if k in c[3]}) if calls else []
    if fixed:
        ev["verify_fixed_params"] = fixed  # LIMIT/OFFSET values dbxray chose (not data): shown even when hidden
    problems = sorted({m[1] for m in (*before, *after) if m[1]})
    if problems:
        ev["verify_error"] = "; ".join(problems)
    pairs = [(b[0], a[0]) for b, a in zip(before, after) if b[0] is not None and a[0] is not None]
    if pairs:
        total_before, total_after = sum(p[0] for p in pairs), sum(p[1] for p in pairs)
        ev["verified"] = True
        ev["verify_speedup"] = round(total_before / max(total_after, 0.001), 1)
        finding.recommendation += (f" Verified on this server (built, measured with EXPLAIN ANALYZE, rolled back): "
                                   f"{total_before:,.2f} ms -> {total_after:,.2f} ms.")


def _call_of(session: Any, catalog: Any, stmt: Any) -> tuple[str, list[str], dict[str, str], set[str]]:
    """(statement text, literal arguments for its $n, what each parameter was filled with, the
    parameters dbxray filled itself: LIMIT and OFFSET)."""
    n = _parameters(stmt)
    if n == 0:
        return stmt.text, [], {}, set()
    args, shown, fixed = [], {}, set()
    roles = stmt.parsed.param_roles if stmt.parsed else {}
    for number in range(1, n + 1):
        value = _value_for(catalog, stmt, number)
        args.append("NULL" if value is None else pg_literal(value))
        shown[f"${number}"] = value
        if roles.get(number) in ("limit", "offset"):
            fixed.add(f"${number}")
    return stmt.text, args, shown, fixed


def _parameters(stmt: Any) -> int:
    from dbxray.engines.postgres.guard import inspect_pg

    return inspect_pg(stmt.text).parameters


def _value_for(catalog: Any, stmt: Any, number: int) -> str | None:
    """A realistic value for ``$number``: a common value of the column it is compared with."""
    role = stmt.parsed.param_roles.get(number) if stmt.parsed else None
    if role == "limit":
        return LIMIT_VALUE
    if role == "offset":
        return OFFSET_VALUE
    for access in stmt.parsed.accesses if stmt.parsed else ():
        for use in access.uses:
            if use.param != number:
                continue
            mcv, hist = catalog.sample_values(access.schema, access.table, use.column)
            if use.kind == "range":
                if not hist:
                    return mcv[0] if mcv else None
                pos = 0.9 if use.op in (">", ">=") else 0.1
                return hist[min(len(hist) - 1, int(pos * len(hist)))]
            value = mcv[0] if mcv else (hist[len(hist) // 2] if hist else None)
            if value is not None and use.op == "any":
                return "{" + json.dumps(value) + "}"
            return value
    return None


def _measure(session: Any, call: tuple, runs: int,
             bound: str) -> tuple[float | None, str | None]:
    """Best execution time (ms) of ``runs`` EXPLAIN ANALYZE runs, each rolled back to a savepoint
    (which also undoes its SET LOCAL statement_timeout)."""
    text, args = call[0], call[1]
    best: float | None = None
    for _ in range(max(runs, 1)):
        error = None
        session.query("SAVEPOINT dbxray_verify_run")
        try:
            session.set_local("statement_timeout", bound)
            if args:
                session.query(f"PREPARE {PREPARED} AS {text}")
                sql = f"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE {PREPARED}({', '.join(args)})"
            else:
                sql = f"EXPLAIN (ANALYZE, FORMAT JSON) {text}"
            _, rows = session.query(sql)
            value = rows[0][0]
            plan = (json.loads(value) if isinstance(value, str) else value)[0]
            ms = float(plan.get("Execution Time") or 0.0)
            best = ms if best is None else min(best, ms)
        except Exception as exc:
            error = _why(exc)
        finally:
            _rollback_to(session, "dbxray_verify_run")
            # a prepared statement outlives a rollback (unless the driver already cleared them all)
            if args and session.scalar("SELECT count(*) FROM pg_prepared_statements WHERE name = %s", (PREPARED,)):
                session.query(f"DEALLOCATE {PREPARED}")
        if error:
            return best, error
    return best, None


def hide_sample_values(findings: list[Finding]) -> None:
    """Replace the real column values ``--verify`` took from ``pg_stats`` (most common values, histogram
    bounds: rows of the table) by a placeholder, in the parameters shown and in any error text."""
    for finding in findings:
        ev = finding.evidence
        params = ev.get("verify_params")
        if not params:
            continue
        values = set()
        hidden = []
        for shown in params:
            if not shown:
                hidden.append(shown)
                continue
            masked = {}
            for key, value in shown.items():
                if value is None or (key in ev.get("verify_fixed_params", ()) and value in (LIMIT_VALUE, OFFSET_VALUE)):
                    masked[key] = value
                else:
                    values.add(str(value))
                    masked[key] = HIDDEN_VALUE
            hidden.append(masked)
        ev["verify_params"] = hidden
        ev.pop("verify_fixed_params", None)
        if ev.get("verify_error") and values:
            text = ev["verify_error"]
            for value in sorted(values, key=len, reverse=True):
                text = text.replace(value, "…")
            ev["verify_error"] = text


def _rollback_to(session: Any, name: str) -> None:
    session.query(f"ROLLBACK TO SAVEPOINT {name}")
    session.query(f"RELEASE SAVEPOINT {name}")


def _why(exc: Exception) -> str:
    import psycopg

    if isinstance(exc, psycopg.errors.QueryCanceled):
        return "timed out (statement_timeout)"
    if isinstance(exc, psycopg.errors.LockNotAvailable):
        return "could not get the lock in time (lock_timeout)"
    return " ".join(str(exc).split())[:200]
