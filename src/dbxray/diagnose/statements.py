"""Statement chains: where the database's time goes → the statement's plan → the cause → the fix.

One chain per statement that a warning-level finding is about, heaviest first; each finding
joins the chain of the heaviest statement it names. The primary cause is the strongest
evidence: a HypoPG-proven index, then a measured spill, then an unproven index, then what the
plan shows (misestimates, nested loops, wasted filtering), then the access pattern (N+1).
"""

from __future__ import annotations

from dbxray.diagnose.common import count, num, serious, short, table_name, worst
from dbxray.diagnose.evidence import PLAN_CHECKS, Evidence
from dbxray.diagnose.model import Bottleneck, Fix
from dbxray.findings import Finding

SPILL_CHECKS = ("temp_spill", "disk_sort", "hash_spill", "lossy_bitmap")
STATEMENT_CHECKS = {"slow_query", "temp_spill", "n_plus_one", "missing_index", "full_table_scan",
                    "missing_fk_index", "regression", "json_unindexed_filter", *PLAN_CHECKS}


def _cause_rank(f: Finding) -> int:
    """Lower is stronger evidence of the root cause."""
    if f.check in ("missing_index", "json_unindexed_filter") and f.evidence.get("proven"):
        return 0
    if f.check in SPILL_CHECKS:
        return 1
    if f.check in ("missing_index", "missing_fk_index", "json_unindexed_filter"):
        return 2
    order = ["row_estimate_error", "nested_loop_explosion", "filter_inefficiency", "n_plus_one",
             "high_planning_time", "heap_fetches", "large_offset", "regression", "full_table_scan"]
    return 3 + order.index(f.check) if f.check in order else 20


def statement_bottlenecks(ev: Evidence) -> list[Bottleneck]:
    qids = {qid for qid, fs in ev.by_query.items() if any(f.check in STATEMENT_CHECKS for f in fs)}
    out: list[Bottleneck] = []
    for qid in sorted(qids, key=lambda q: (-ev.share(q), q)):
        chain = [f for f in ev.by_query[qid] if f.check in STATEMENT_CHECKS and f.id not in ev.claimed]
        if not chain or not serious(chain):
            continue
        primary = min(chain, key=_cause_rank)
        if _cause_rank(primary) >= 20 and not any(f.check == "slow_query" for f in chain):
            continue
        if primary.check in SPILL_CHECKS:
            continue  # work_mem: one configuration bottleneck for every statement that spills (spill_bottleneck)
        table = primary.object.get("table") and (primary.object.get("schema"), primary.object["table"])
        if table:  # the table-level evidence of the same scan (sequential scans counted on the table)
            chain += [f for f in ev.by_table.get(table, ()) if f.check == "full_table_scan" and f not in chain
                      and f.id not in ev.claimed]
        out.append(_bottleneck(ev, qid, chain, primary))
        ev.claim(chain)
    return out


def _bottleneck(ev: Evidence, qid: str, chain: list[Finding], primary: Finding) -> Bottleneck:
    stmt = ev.statement(qid)
    slow = next((f for f in chain if f.check == "slow_query"), None)
    share = ev.share(qid) or num((slow.evidence if slow else {}).get("share_pct")) \
        or num(primary.evidence.get("share_pct"))
    total_ms = num(stmt.get("total_ms")) or num((slow.evidence if slow else {}).get("total_ms")) \
        or num(primary.evidence.get("statement_total_ms"))
    calls = num(stmt.get("calls")) or num((slow.evidence if slow else {}).get("calls"))
    mean = total_ms / calls if calls else num((slow.evidence if slow else {}).get("mean_ms"))
    table = table_name(primary.object)
    query = short(stmt.get("query") or (slow.evidence.get("query") if slow else None), 100)
    impact = (f"{total_ms:,.0f} ms over {count(calls)} calls ({mean:,.1f} ms per call)"
              + (f", {share:.0f}% of all statement time" if share else ""))
    cause, fix, confidence = _cause(primary, table)
    where = f" on {table}" if table else ""
    title = (f"Statement{where} takes {share:.0f}% of the database's statement time" if share >= 1 else
             f"Statement{where}: {primary.title}")
    obj = {"query_id": qid, "schema": primary.object.get("schema"), "table": primary.object.get("table"),
           "columns": primary.object.get("columns")}
    if query:
        cause = f"{cause} (statement: {query})"
    return Bottleneck("statement", title, obj, cause, impact, [f.id for f in chain], fix, confidence,
                      worst(chain), score=max(share, 1.0))


def _cause(f: Finding, table: str | None) -> tuple[str, Fix, str]:
    """(cause, fix, confidence) from the chain's primary finding."""
    e = f.evidence
    cols = ", ".join(f.object.get("columns") or [])
    if f.check in ("missing_index", "missing_fk_index"):
        rows = e.get("table_rows") or e.get("rows_read")
        examined = next((s.get("rows_examined_per_call") for s in e.get("statements") or ()
                         if isinstance(s, dict) and s.get("rows_examined_per_call")), None)
        how = (f"it reads about {count(examined)} rows per call" if examined else
               f"it scans {table} ({count(rows)} rows)" if rows else f"it scans {table}")
        cause = f"{how} because ({cols}) has no index"
        if e.get("proven"):
            before = sum(num(x) for x in e.get("cost_before") or ())
            after = sum(num(x) for x in e.get("cost_after") or ())
            expected = (f"proven with HypoPG: the planner's cost drops {before:,.0f} → {after:,.2f}"
                        + (f" ({e['cost_cut_pct']:.1f}% cheaper)" if e.get("cost_cut_pct") is not None else ""))
            return cause, Fix(f.sql, expected, _index_risk(f)), "proven"
        expected = (f"EXPLAIN shows a full scan ({e.get('explain_type') or e.get('type') or 'ALL'}) today; with the "
                    "index each call becomes a lookup (not proven: no hypothetical index)"
                    if e.get("statements") else "a lookup instead of a scan (unproven)")
        return cause, Fix(f.sql, expected, _index_risk(f)), "likely"
    if f.check == "json_unindexed_filter":
        cause = f"it filters {table} with {e.get('filter')} and no index fits that expression, so it reads every row"
        if e.get("proven"):
            before = sum(num(x) for x in e.get("cost_before") or ())
            after = sum(num(x) for x in e.get("cost_after") or ())
            expected = f"proven with HypoPG: the planner's cost drops {before:,.0f} → {after:,.2f}"
            return cause, Fix(f.sql, expected, _index_risk(f)), "proven"
        return cause, Fix(f.sql, "a lookup instead of a scan (unproven: " + str(e.get("proof") or "no proof") + ")",
                          _index_risk(f)), "likely"
    if f.check in ("temp_spill", "disk_sort", "hash_spill", "lossy_bitmap"):
        spill = e.get("temp_written_per_call") or (f"{count(e.get('needed_kb'))} kB" if e.get("needed_kb") else None)
        setting = e.get("work_mem_kb")
        cause = (f"its sorts and hashes spill to disk ({spill} per call) because work_mem "
                 f"({count(setting)} kB) is too small" if spill and setting is not None else
                 f"it spills to disk: {f.title}")
        expected = "its sorts and hashes run in memory: no temporary files, no disk I/O for them"
        risk = ("work_mem is per sort/hash node and per connection: the fix scopes it to one role instead of the "
                "whole server; watch memory if that role runs many connections")
        return cause, Fix(f.sql, expected, risk), "proven"
    if f.check == "row_estimate_error":
        return (f"the planner misestimates rows ({e.get('direction')} by {e.get('factor')}x at "
                f"{f.object.get('node_type')}) and picks its plan on that number"
                + (f": {e['cause']}" if e.get("cause") else ""),
                Fix(f.sql, "estimates close to the real row counts, so the planner can choose the right plan",
                    "ANALYZE takes a light lock and reads a sample: safe at any time"), "likely")
    if f.check == "n_plus_one":
        return (f"the application fetches {e.get('lookup') or 'rows'} one at a time: {count(e.get('calls'))} "
                "single-row lookups (an N+1 pattern)",
                Fix(None, "one round trip instead of thousands: " + short(f.recommendation, 200),
                    "an application change: load the rows in one statement (IN / ANY, a join, eager loading)"),
                "likely")
    if f.check == "regression":
        return (f"{f.title[0].lower() + f.title[1:]} since the previous run ({e.get('before')}): something changed "
                "(an index, the statistics, the data, the parameters)",
                Fix(None, short(f.recommendation, 200), "read-only investigation: compare the plans"), "proven")
    if f.check == "slow_query":
        return ("the statistics show where the time goes but not why: its plan holds the cause",
                Fix(None, short(f.recommendation, 200), "read-only investigation"), "possible")
    return (f"its plan shows it: {f.title}",
            Fix(f.sql, short(f.recommendation, 200), "see the finding's recommendation"), "likely")


def _index_risk(f: Finding) -> str:
    sql = (f.sql or "").upper()
    if "CONCURRENTLY" in sql:
        risk = "CREATE INDEX CONCURRENTLY does not block writes; it takes longer and cannot run in a transaction"
    elif "ALGORITHM=INPLACE" in sql or "ADD INDEX" in sql:
        risk = "online on InnoDB (reads and writes continue) but it reads the whole table: run it off-peak"
    else:
        risk = "a plain CREATE INDEX blocks writes to the table while it builds"
    if f.evidence.get("write_heavy"):
        risk += "; the table is write-heavy: every insert and non-HOT update also maintains the index"
    return risk


def spill_bottleneck(ev: Evidence) -> list[Bottleneck]:
    """Spills no statement chain took: one ``work_mem`` bottleneck for all the statements affected."""
    spills = [f for c in SPILL_CHECKS for f in ev.by_check.get(c, ()) if f.id not in ev.claimed]
    settings = [f for f in ev.by_check.get("setting", ()) if f.object.get("setting") == "work_mem"
                and f.id not in ev.claimed]
    chain = spills + settings
    if not chain or not serious(chain):
        return []
    qids = sorted({str(f.object["query_id"]) for f in spills if f.object.get("query_id") is not None})
    for qid in qids:  # the statements' own findings join the chain (slow_query, plan findings)
        chain += [f for f in ev.by_query.get(qid, ()) if f.id not in ev.claimed and f not in chain]
    share = sum(ev.share(q) for q in qids)

    def per_call(f: Finding) -> float:
        calls = num(f.evidence.get("calls"), 1.0) or 1.0
        return num(f.evidence.get("temp_bytes_written")) / calls or num(f.evidence.get("needed_kb")) * 1024

    biggest = max(spills, key=per_call) if spills else settings[0]
    with_sql = max((f for f in spills if f.sql), key=per_call, default=None) or biggest
    statements = f"{len(qids)} statement(s)" if qids else "statements"
    impact = (f"{statements} spill to temporary files, the largest {biggest.evidence.get('temp_written_per_call')} "
              f"per call; together {share:.0f}% of statement time" if qids else biggest.title)
    setting = next(iter(settings), None)
    current = f" ({setting.title})" if setting else ""
    bottleneck = Bottleneck(
        "configuration", f"work_mem is too small for {statements}",
        {"setting": "work_mem", "role": with_sql.object.get("role"), "query_id": biggest.object.get("query_id")},
        f"sorts and hashes outgrow work_mem and write temporary files{current}: {biggest.title}", impact,
        ev.claim(chain),
        Fix(with_sql.sql, "the sorts and hashes run in memory: no temporary files, no disk I/O for them",
            "work_mem is per sort node and per connection: the fix scopes it to one role, not the whole server; "
            "watch memory if that role runs many connections"),
        "proven", worst(chain), score=max(share, 5.0))
    return [bottleneck]


def statement_table_share(ev: Evidence, table: str) -> tuple[float, list[str]]:
    """Share of statement time of the statements whose text names ``table`` (a word of the normalized
    text: enough to say who pays for a table's dead rows), through the evidence's word index: one
    pass over the statements for the whole diagnosis, however many tables ask."""
    qids = sorted(ev.statements_naming(str(table)))
    return sum(ev.share(q) for q in qids), qids
