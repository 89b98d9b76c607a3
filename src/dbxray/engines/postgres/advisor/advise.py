"""The PostgreSQL index advisor: workload -> candidates -> proof -> the fewest indexes that matter.

1. The statements that cost the most time (pg_stat_statements) plus the user's, parsed into
   per-table predicates (:mod:`dbxray.engines.postgres.advisor.parse`).
2. Candidate shapes per table from those predicates and ``pg_stats`` (:mod:`.candidates`);
   small tables and shapes an existing index already leads with are dropped.
3. With HypoPG, every statement is planned generically without, then with all its tables'
   candidates: a statement whose cost cannot at least halve is out. A lazy greedy then picks
   the candidate with the largest gain (summed over the statements it helps: their total time
   x log of the cost ratio, less a small toll per extra column), so one index serving several
   statements beats several narrow ones; it re-plans with what is already chosen, until
   nothing cuts a statement's remaining cost further. The final set is planned once more:
   an index is reported only when the planner uses it and its statements' cost drops by the
   bar (50% by default; more on write-heavy tables, where every index slows every write).
4. Without HypoPG: the statistics heuristic (a sequential scan in today's plan, a selective
   candidate), marked unproven, with the way to enable the proof.
"""

from __future__ import annotations

import heapq
import itertools
import math
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from dbxray.engines.postgres.advisor.candidates import Candidate, candidates_for
from dbxray.engines.postgres.advisor.catalog import Catalog, TableInfo, selectivity
from dbxray.engines.postgres.advisor.hypo import (
    HypoPG,
    HypoState,
    HypoUnavailable,
    PlanCost,
    hypopg_state,
    hypothetical,
    plan_cost,
)
from dbxray.engines.postgres.advisor.parse import analyze, parse, relation_names
from dbxray.engines.postgres.advisor.statement import EQUALITY
from dbxray.engines.postgres.advisor.workload import Statement, Workload, add_user_queries, from_snapshot
from dbxray.findings import Finding

CHECK_ID = "missing_index"
DEFAULTS: dict[str, Any] = {
    "min_improvement": 0.5,  # the statement's estimated cost must at least halve
    "min_cost": 100.0,  # statements cheaper than this are not worth an index (Dexter's bar)
    "min_rows": 1000,  # tables smaller than this are read faster without an index
    "max_statements": 500,  # top statements by total time considered
    "max_columns": 3,  # key columns per suggested index
    "max_include": 3,  # INCLUDE columns tried for an index-only scan
    "max_candidates_per_table": 12,
    "min_step": 0.2,  # a further index must cut a statement's remaining cost by this much
    "write_heavy_ratio": 10.0,  # writing statement calls per reading call that make a table write-heavy
    "write_heavy_improvement": 0.8,  # the bar on write-heavy tables
    "heuristic_max_fraction": 0.05,  # unproven: the index must narrow the scan to this fraction of rows
    "max_seconds": 120.0,  # time budget for the proof; the heaviest statements are proven first
}


def options_from(config: Any = None) -> dict[str, Any]:
    """Defaults, overridden by a Config (``[checks.missing_index]``) or a plain dict (unknown keys refused)."""
    if config is None:
        return dict(DEFAULTS)
    if isinstance(config, dict):
        unknown = set(config) - set(DEFAULTS)
        if unknown:
            from dbxray.errors import BadInput

            raise BadInput(f"unknown index advisor option(s): {', '.join(sorted(unknown))}")
        return {**DEFAULTS, **config}
    # [checks.missing_index] is shared with the MySQL check: keys of either are accepted, typos are not
    from dbxray.checks import known_options

    return config.thresholds(CHECK_ID, DEFAULTS, known=known_options(CHECK_ID))


@dataclass
class Advice:
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    statements: list[Statement] = field(default_factory=list)
    helped: list[list[Statement]] = field(default_factory=list)  # per finding: the statements it helps


@dataclass
class _Helped:
    stmt: Statement
    before: float
    after: float


def advise_postgres(session: Any, snap: Any, extra_queries: Any = (), verify: bool = False,
                    config: Any = None) -> list[Finding]:
    """``missing_index`` findings for the workload in ``snap`` plus ``extra_queries``."""
    advice = advise(session, snap, extra_queries, config=config)
    if verify and advice.findings:
        from dbxray.engines.postgres.advisor.verify import verify_findings

        verify_findings(session, advice.findings, advice.helped)
    return advice.findings


def advise(session: Any, snap: Any, extra_queries: Any = (), config: Any = None) -> Advice:
    """Everything the ``indexes`` command shows: findings, notes on what limited the advice, figures."""
    if config is not None and not isinstance(config, dict) and not config.enabled(CHECK_ID):
        return Advice(notes=["the missing_index check is disabled in the config"])
    return PostgresAdvisor(session, snap, options_from(config)).run(list(extra_queries or ()))


class PostgresAdvisor:
    def __init__(self, session: Any, snap: Any, options: dict[str, Any]):
        self.session = session
        self.snap = snap
        self.o = options
        self.catalog = Catalog(session)
        self.notes: list[str] = []
        self.skipped: Counter[str] = Counter()
        self.table_cands: dict[tuple[str, str], list[Candidate]] = {}
        self.stmt_cands: dict[int, dict[tuple[str, str], list[Candidate]]] = {}
        self.hypo_calls = 0
        self.helped: list[list[Statement]] = []
        self.write_calls: Counter[tuple[str, str]] = Counter()  # calls of INSERT/UPDATE/DELETE on the table
        self.read_calls: Counter[tuple[str, str]] = Counter()  # calls of statements that read it
        self.per_candidate_calls: Counter[Candidate] = Counter()

    # -- the run ----------------------------------------------------------------------------------
    def run(self, extra_queries: list[str]) -> Advice:
        started = time.monotonic()
        self.deadline = started + float(self.o["max_seconds"])
        work = from_snapshot(self.snap, int(self.o["max_statements"]))
        add_user_queries(work, extra_queries)
        if not work.available and not extra_queries:
            self.notes.append("pg_stat_statements is not readable here, so there is no workload to advise on: "
                              "enable it, or pass statements with --query")
        active = self.prepare(work)
        state = hypopg_state(self.session)
        major = self.session.version_num // 10000
        findings = None
        if state.usable:
            try:
                findings = self.prove(active, work, state)
                method = "hypopg"
            except HypoUnavailable as exc:
                state.usable, state.reason = False, f"HypoPG refused this role: {exc}"
                for s in active:
                    s.skip = None
        if findings is None:
            findings = self.heuristic(active, work, state, major)
            method = "statistics"
            self.notes.append(f"index suggestions are not proven with hypothetical indexes: {state.reason}; to prove "
                              f"them, {state.how_to_enable(major)}")
        for s in work.statements:
            if s.skip:
                self.skipped[s.skip.split(":")[0]] += 1
        summary = {
            "method": method,
            "hypopg": {"installed": state.installed, "version": state.version, "usable": state.usable},
            "statements_considered": len(work.statements),
            "statements_advised": sum(1 for s in work.statements if not s.skip),
            "skipped": dict(self.skipped.most_common()),
            "candidates": sum(len(v) for v in self.table_cands.values()),
            "hypopg_calls": self.hypo_calls,
            "duration_ms": round((time.monotonic() - started) * 1000, 1),
        }
        return Advice(findings, self.notes, summary, work.statements, self.helped)

    # -- parse, resolve, candidates -----------------------------------------------------------------
    def prepare(self, work: Workload) -> list[Statement]:
        """Parse and place every statement, count reads and writes per table, build the candidates."""
        self._parse_all(work)
        self._count_calls(work)
        touched = {a.key for s in work.statements if s.parsed for a in s.parsed.accesses}
        big = {k for k in touched if self.catalog.tables[k].rows >= self.o["min_rows"]}
        self.catalog.load_stats(big)
        self._stats_notes(big)
        return self._candidates(work, big)

    def _parse_all(self, work: Workload) -> None:
        names: set[tuple[str | None, str]] = set()
        for s in work.statements:
            try:
                s.node = parse(s.text)
            except ValueError as exc:
                s.skip = f"not advisable: {exc}"
                continue
            names |= relation_names(s.node)
        self.catalog.load(names)  # one catalog query for every table the workload names
        for s in work.statements:
            if s.node is None:
                continue
            s.parsed = analyze(s.node, s.text, self.catalog.resolve)
            if not s.parsed.accesses:
                s.skip = "no user table"

    def _count_calls(self, work: Workload) -> None:
        """Calls of statements writing vs reading each table, over the same pg_stat_statements window."""
        for s in work.statements:
            if s.parsed is None or s.source == "user":
                continue
            if s.parsed.target:
                self.write_calls[s.parsed.target] += s.calls or 0
            for key in s.tables() - {s.parsed.target}:
                self.read_calls[key] += s.calls or 0

    def _candidates(self, work: Workload, big: set[tuple[str, str]]) -> list[Statement]:
        active = []
        weight: Counter[Candidate] = Counter()
        unservable: list[tuple[Statement, list[str]]] = []
        for s in work.statements:
            if s.skip or s.parsed is None:
                continue
            per_table: dict[tuple[str, str], list[Candidate]] = {}
            unopt = sorted({u for a in s.parsed.accesses for u in a.unoptimizable})
            for a in s.parsed.accesses:
                info = self.catalog.tables[a.key]
                if a.key not in big or info.stats_state == "hidden":
                    continue
                for c in candidates_for(a, info, int(self.o["max_columns"]), int(self.o["max_include"]),
                                        select=s.parsed.kind == "SelectStmt"):
                    if c not in per_table.setdefault(a.key, []):
                        per_table[a.key].append(c)
                        weight[c] += s.weight
            if unopt and any(a.key in big for a in s.parsed.accesses):
                unservable.append((s, unopt))
            if not any(per_table.values()):
                s.skip = "no candidate index: " + ("tables too small or already indexed" if not unopt
                                                  else "predicates no B-tree serves")
                continue
            self.stmt_cands[id(s)] = per_table
            active.append(s)
        self._unservable_note(unservable)
        for s in active:
            for key, cands in self.stmt_cands[id(s)].items():
                pool = self.table_cands.setdefault(key, [])
                pool.extend(c for c in cands if c not in pool)
        cap = int(self.o["max_candidates_per_table"])
        for pool in self.table_cands.values():
            pool.sort(key=lambda c: -weight[c])
            del pool[cap:]
        return active

    def _unservable_note(self, unservable: list[tuple[Statement, list[str]]]) -> None:
        """Say which heavy statements filter in a way no plain B-tree serves (they need another fix)."""
        if not unservable:
            return
        shown = "; ".join(f"{s.label}: {', '.join(u)}" for s, u in unservable[:3])
        more = f" (and {len(unservable) - 3} more)" if len(unservable) > 3 else ""
        self.notes.append(f"{len(unservable)} statement(s) filter in a way no plain B-tree index serves — {shown}"
                          f"{more}: a leading-wildcard LIKE needs a pg_trgm GIN index, a function of a column an "
                          "expression index on exactly that expression (or rewrite the predicate)")

    def _stats_notes(self, keys: set[tuple[str, str]]) -> None:
        hidden = sorted(f"{k[0]}.{k[1]}" for k in keys if self.catalog.tables[k].stats_state == "hidden")
        missing = sorted(f"{k[0]}.{k[1]}" for k in keys if self.catalog.tables[k].stats_state == "missing")
        if hidden:
            self.notes.append(f"pg_stats shows nothing for {len(hidden)} table(s) ({', '.join(hidden[:5])}) because "
                              "this role may not SELECT them: no index advice for them (grant SELECT, or run as a "
                              "role that has it)")
        if missing:
            self.notes.append(f"{len(missing)} table(s) have no column statistics ({', '.join(missing[:5])}): "
                              "column order uses planner defaults; run ANALYZE on them")

    def partitioned(self, s: Statement) -> bool:
        return any(self.catalog.tables[k].partitioned for k in s.tables())

    def _plan(self, s: Statement) -> PlanCost | None:
        """The generic plan's cost; a statement that cannot be planned is skipped with the reason."""
        try:
            return plan_cost(self.session, s.text, self.partitioned(s))
        except Exception as exc:
            if s.before is None:  # once proven plannable, a later failure must not disqualify it
                s.skip = "cannot plan: " + " ".join(str(exc).split())[:160]
            return None

    def _before(self, s: Statement) -> bool:
        s.before = self._plan(s)
        if s.before is None:
            return False
        if s.before.cost < float(self.o["min_cost"]):
            s.skip = f"low initial cost: {s.before.cost:.1f} < {float(self.o['min_cost']):g}"
            return False
        return True

    def write_heavy(self, info: TableInfo) -> bool:
        """Many more writing than reading statement calls in the workload (a bulk load is one call)."""
        writes = self.write_calls[info.key]
        return writes >= 100 and writes > float(self.o["write_heavy_ratio"]) * max(self.read_calls[info.key], 1)

    def bar(self, info: TableInfo) -> float:
        if self.write_heavy(info):
            return max(float(self.o["min_improvement"]), float(self.o["write_heavy_improvement"]))
        return float(self.o["min_improvement"])

    # -- proof with HypoPG --------------------------------------------------------------------------
    def prove(self, active: list[Statement], work: Workload, state: HypoState) -> list[Finding]:
        active = sorted(active, key=lambda s: (-s.weight, sorted(s.tables())))  # heaviest first
        with hypothetical(self.session, state.schema or "public") as hypo:
            try:
                provable = self._provable(hypo, active)
                chosen = self._greedy(hypo, provable)
                helped = self._final(hypo, provable, chosen)
            finally:
                self.hypo_calls = hypo.calls
                self.per_candidate_calls = hypo.per_candidate
        findings = []
        for cand, rows in helped.items():
            findings.append(self.finding(cand, rows, work, proven=True))
        return findings

    def _provable(self, hypo: HypoPG, active: list[Statement]) -> list[Statement]:
        """Statements whose cost at least halves with every candidate of their tables in place."""
        out = []
        for s in active:
            if time.monotonic() > self.deadline:
                s.skip = f"time budget of {float(self.o['max_seconds']):g} s used up (heavier statements went first)"
                continue
            tables = s.tables()
            hypo.ensure((), tables)
            if not self._before(s):
                continue
            wanted = [c for t in sorted(tables) for c in self.table_cands.get(t, ())]
            names = hypo.ensure(wanted, tables)
            best = self._plan(s)
            if best is None:
                s.skip = "cannot plan with the hypothetical indexes"
                continue
            s.all_used = {names[n] for n in best.indexes if n in names}
            if not s.all_used:
                s.skip = "no candidate index is used by the planner"
            elif best.cost > (1 - float(self.o["min_improvement"])) * s.before.cost:
                s.skip = (f"candidate indexes cut the estimated cost by only "
                          f"{100 * (1 - best.cost / s.before.cost):.0f}%")
            else:
                out.append(s)
        return out

    def _greedy(self, hypo: HypoPG, provable: list[Statement]) -> list[Candidate]:
        """Lazy greedy: the candidate with the largest time-weighted cost cut first, re-planned with the chosen."""
        affected: dict[Candidate, list[Statement]] = {}
        for s in provable:
            # its own shapes (the planner may have preferred a wider sibling when all were there)
            # and whatever it used from other statements' shapes
            own = [c for cands in self.stmt_cands[id(s)].values() for c in cands]
            for c in dict.fromkeys([*own, *s.all_used]):
                if c in self.table_cands.get(c.key, ()):
                    affected.setdefault(c, []).append(s)
        cur = {id(s): s.before.cost for s in provable}
        chosen: list[Candidate] = []
        version: Counter[tuple[str, str]] = Counter()
        step = float(self.o["min_step"])

        def relevant(c: Candidate) -> set[tuple[str, str]]:
            return set().union(*(s.tables() for s in affected[c]))

        def stamp(c: Candidate) -> tuple:
            return tuple(sorted((t, version[t]) for t in relevant(c)))

        def evaluate(c: Candidate) -> tuple[float, dict[int, float]]:
            gain, new = 0.0, {}
            for s in affected[c]:
                tables = s.tables()
                names = hypo.ensure([x for x in chosen if x.key in tables] + [c], tables)
                p = self._plan(s)
                if p is None or not any(names.get(n) == c for n in p.indexes):
                    continue
                if p.cost <= cur[id(s)] * (1 - step):
                    gain += s.weight * (math.log(cur[id(s)] / max(p.cost, 0.01)) - _width_penalty(c))
                    new[id(s)] = p.cost
            return gain, new

        tie = itertools.count()
        heap: list = []
        results: dict[Candidate, tuple[float, dict[int, float], tuple]] = {}
        for c in affected:
            if time.monotonic() > self.deadline and results:
                break  # out of time: choose among what has been measured
            gain, new = evaluate(c)
            results[c] = (gain, new, stamp(c))
            heapq.heappush(heap, (-gain, c.width, next(tie), c))
        while heap:
            neg, _, _, c = heapq.heappop(heap)
            gain, new, st = results[c]
            if c in chosen or gain <= 0 or -neg != gain:  # taken, useless, or an outdated heap entry
                continue
            if st != stamp(c):  # something chosen since changed its statements' costs: re-plan
                gain, new = evaluate(c)
                results[c] = (gain, new, stamp(c))
                if gain > 0:
                    heapq.heappush(heap, (-gain, c.width, next(tie), c))
                continue
            chosen.append(c)
            by_id = {id(s): s for s in affected[c]}
            for sid, cost in new.items():
                cur[sid] = min(cur[sid], cost)
                for t in by_id[sid].tables():
                    version[t] += 1
        return chosen

    def _final(self, hypo: HypoPG, provable: list[Statement], chosen: list[Candidate]
               ) -> dict[Candidate, list[_Helped]]:
        """Plan each statement with the whole chosen set: who uses what, and is the cut big enough?"""
        helped: dict[Candidate, list[_Helped]] = {}
        for s in provable:
            tables = s.tables()
            mine = [c for c in chosen if c.key in tables]
            if not mine:
                s.skip = "superseded: no chosen index helps it enough"
                continue
            names = hypo.ensure(mine, tables)
            p = self._plan(s)
            if p is None:
                continue
            used = [names[n] for n in p.indexes if n in names]
            kept = [c for c in dict.fromkeys(used)
                    if p.cost <= (1 - self.bar(self.catalog.tables[c.key])) * s.before.cost]
            for c in kept:
                helped.setdefault(c, []).append(_Helped(s, s.before.cost, p.cost))
            if not used:
                s.skip = "no chosen index is used in the final plan"
            elif not kept:
                heavy = any(self.write_heavy(self.catalog.tables[c.key]) for c in used)
                s.skip = (f"the chosen indexes cut its estimated cost by only {100 * (1 - p.cost / s.before.cost):.0f}%"
                          + (" (write-heavy table: a higher bar)" if heavy else ""))
        return helped

    # -- without HypoPG -----------------------------------------------------------------------------
    def heuristic(self, active: list[Statement], work: Workload, state: HypoState, major: int) -> list[Finding]:
        """Unproven: today's plan scans the table sequentially and the best shape is selective."""
        limit = float(self.o["heuristic_max_fraction"])
        proposals: dict[Candidate, list[_Helped]] = {}
        for s in active:
            if not self._before(s):
                continue
            for a in s.parsed.accesses:
                cands = [c for c in self.stmt_cands[id(s)].get(a.key, ()) if not c.include]
                if not cands or a.table not in s.before.seq_scans:
                    continue
                info = self.catalog.tables[a.key]
                best = cands[0]
                kinds = {u.column: u.kind for u in a.uses if u.kind in (*EQUALITY, "range", "join")}
                fraction = 1.0
                for col in best.columns:
                    kind = kinds.get(col, "sort")
                    if kind != "sort":
                        fraction *= selectivity(info, col, "eq" if kind == "join" else kind)
                ordered = bool(a.sort_limited and a.sort and best.columns[-1] == a.sort[-1][0])
                if fraction <= limit or ordered:
                    proposals.setdefault(best, []).append(_Helped(s, s.before.cost, float("nan")))
        merged = _merge_prefixes(proposals)
        return [self.finding(c, rows, work, proven=False, enable=state.how_to_enable(major))
                for c, rows in merged.items()]

    # -- the finding --------------------------------------------------------------------------------
    def finding(self, cand: Candidate, rows: list[_Helped], work: Workload, proven: bool,
                enable: str | None = None) -> Finding:
        from dbxray.engines.postgres.advisor.advice import missing_index_finding

        info = self.catalog.tables[cand.key]
        self.helped.append([r.stmt for r in rows])
        return missing_index_finding(cand, info, rows, work, proven=proven, enable=enable,
                                     hypopg_calls=self.per_candidate_calls.get(cand, 0),
                                     write_heavy=self.write_heavy(info), bar=self.bar(info),
                                     calls=(self.write_calls[cand.key], self.read_calls[cand.key]))


def _width_penalty(c: Candidate) -> float:
    """What a wider index must earn, as a log cost ratio: each extra key column must make the plan
    1.25x cheaper, each INCLUDE column 3x (an index-only scan that saves one heap fetch is not worth
    a wider index; one that lets ORDER BY ... LIMIT stop early, or a range narrow, is)."""
    return math.log(1.25) * (len(c.columns) - 1) + math.log(3.0) * len(c.include)


def _merge_prefixes(proposals: dict[Candidate, list[_Helped]]) -> dict[Candidate, list[_Helped]]:
    """Unproven suggestions on one table: a shape that leads a longer one is served by it."""
    from dbxray.engines.postgres.advisor.candidates import covers
    from dbxray.engines.postgres.advisor.catalog import ExistingIndex

    out: dict[Candidate, list[_Helped]] = {}
    for cand in sorted(proposals, key=lambda c: -len(c.columns)):
        host = next((o for o in out if o.key == cand.key
                     and covers(ExistingIndex("", "btree", o.columns, o.include), cand)), None)
        if host is not None:
            out[host].extend(proposals[cand])
        else:
            out[cand] = list(proposals[cand])
    return out
