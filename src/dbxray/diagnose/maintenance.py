"""Maintenance chains: dead rows and bloat → the statements that read through them → why vacuum is
not removing them (autovacuum switched off, the xmin horizon held by a named session, slot or
prepared transaction, or autovacuum simply behind)."""

from __future__ import annotations

from dbxray.diagnose.common import count, num, seconds, worst
from dbxray.diagnose.evidence import Evidence
from dbxray.diagnose.model import Bottleneck, Fix
from dbxray.diagnose.statements import statement_table_share

TABLE_CHECKS = ("vacuum_overdue", "table_bloat", "index_bloat", "analyze_overdue", "heap_fetches")


def maintenance_bottlenecks(ev: Evidence) -> list[Bottleneck]:
    holders = [f for f in ev.by_check.get("xmin_horizon", ()) if f.id not in ev.claimed]
    holder = max(holders, key=lambda f: num(f.evidence.get("xmin_age")), default=None)
    out = []
    tables: dict[tuple, list] = {}
    for check in ("vacuum_overdue", "table_bloat"):
        for f in ev.by_check.get(check, ()):
            if f.id not in ev.claimed:
                tables.setdefault((f.object.get("schema"), f.object.get("table")), []).append(f)
    for (schema, table), found in tables.items():
        chain = list(found) + [f for f in ev.by_table.get((schema, table), ())
                               if f.check in ("index_bloat", "heap_fetches", "full_table_scan")
                               and f.id not in ev.claimed and f not in found]
        vac = next((f for f in found if f.check == "vacuum_overdue"), None)
        bloat = next((f for f in found if f.check == "table_bloat"), None)
        dead_pct = num((vac or bloat).evidence.get("dead_pct") or (bloat.evidence.get("bloat_pct") if bloat else 0))
        dead = (vac.evidence.get("n_dead_tup") if vac else None) or (bloat.evidence.get("n_dead_tup") if bloat
                                                                      else None)
        share, qids = statement_table_share(ev, str(table))
        autovacuum_off = vac is not None and vac.evidence.get("autovacuum_enabled") is False
        if holder is not None:  # it blocks even a manual VACUUM: resolve it first
            cause = (f"vacuum cannot remove them: {holder.title[len('Vacuum is held back by '):]} holds the xmin "
                     "horizon" + (" (and autovacuum is off for this table)" if autovacuum_off else ""))
            confidence, fix_sql = "proven", holder.sql
            chain.append(holder)
        elif autovacuum_off:
            cause = f"autovacuum is switched off for {table} (or for the server), so nothing removes its dead rows"
            confidence, fix_sql = "proven", vac.sql
        else:
            cause = ("autovacuum is on but behind: its thresholds or cost limit are too loose for this table's "
                     "churn, or a long transaction came and went")
            confidence, fix_sql = "possible", (vac or bloat).sql
        impact = f"{count(dead)} dead rows ({dead_pct:.0f}% of the table)" if dead else (bloat or vac).title
        if qids and share >= 1:
            impact += f"; statements reading {table} take {share:.0f}% of statement time and read through them"
        risk = ("VACUUM runs beside reads and writes; a VACUUM FULL would lock the table" if fix_sql and
                "FULL" not in fix_sql.upper() else "VACUUM FULL blocks the table for the whole rewrite: prefer "
                "pg_repack, or a maintenance window")
        out.append(Bottleneck(
            "maintenance", f"{table}: dead rows are piling up", {"schema": schema, "table": table}, cause, impact,
            ev.claim(chain), Fix(fix_sql, "the dead rows are removed and scans read only live rows", risk),
            confidence, worst(chain), score=10.0 + 0.2 * dead_pct + share * max(dead_pct, 50.0) / 100))
    for h in holders:
        if h.id in ev.claimed:
            continue
        held = h.evidence.get("held_s")
        out.append(Bottleneck(
            "maintenance", h.title, dict(h.object), f"{h.evidence.get('holder_kind')} {h.evidence.get('holder')} "
            "holds the xmin horizon: no dead row newer than it can be removed anywhere on the server",
            f"held for {seconds(held)}" if held else f"{count(h.evidence.get('xmin_age'))} transactions old",
            ev.claim([h]), Fix(h.sql, "vacuum can remove dead rows again", h.recommendation), "proven", h.severity,
            score=30.0 if h.severity == "warning" else 60.0))
    return out
