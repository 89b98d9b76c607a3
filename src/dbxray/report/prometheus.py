"""``--format prometheus``: the report as node_exporter textfile-collector metrics, for alerting.

One ``target`` label per database (the fleet's target name, else ``host/database``). Every family
is a gauge describing the latest run; a failed target still gets ``dbxray_up 0``, its exit code and
the time of the attempt, so "the report did not run" is an alert too, not a silent gap::

    dbxray_up{target}                               1 report produced, 0 failed (DSN, connection, store)
    dbxray_exit_code{target}                        0 ok, 1 --fail-on, 2 bad input, 3 internal, 4 incomplete
    dbxray_findings{target,check,severity}          findings in the report (combinations present only)
    dbxray_report_incomplete{target}                1 when the report is partial (why: in the report)
    dbxray_bottleneck_score{target,rank,kind}       the ranked bottlenecks' scores (top 5)
    dbxray_collection_duration_seconds{target}      collecting + analysing this target
    dbxray_last_run_timestamp_seconds{target}       when this target's run finished (Unix time)

The collector reads ``*.prom`` files only, so ``write_textfile`` writes ``NAME.prom.tmp`` and renames
it: a scrape never sees half a file.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from pathlib import Path
from typing import Any

TOP_BOTTLENECKS = 5

FAMILIES = {
    "dbxray_up": "1 when dbxray produced a report for the target, 0 when the run failed (DSN, connection, store).",
    "dbxray_exit_code": "Exit code of the target's run: 0 ok, 1 --fail-on matched, 2 bad input or connection, "
                        "3 internal error, 4 report incomplete.",
    "dbxray_findings": "Findings in the target's latest report, by check and severity.",
    "dbxray_report_incomplete": "1 when the target's latest report is partial (e.g. no statement statistics).",
    "dbxray_bottleneck_score": "Score of each ranked bottleneck of the diagnosis (percent of statement time or "
                               "its equivalent; imminent outage risks score above 1000).",
    "dbxray_collection_duration_seconds": "Seconds spent collecting and analysing the target.",
    "dbxray_last_run_timestamp_seconds": "Unix time the target's latest run finished.",
}


def escape_label(value: Any) -> str:
    """A label value per the exposition format: backslash, double quote and line feed escaped."""
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _value(number: float) -> str:
    if isinstance(number, bool):
        return "1" if number else "0"
    if isinstance(number, int):
        return str(number)
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "+Inf" if number > 0 else "-Inf"
    return repr(float(number))


def _sample(name: str, labels: dict[str, Any], value: float) -> str:
    inner = ",".join(f'{k}="{escape_label(v)}"' for k, v in labels.items())
    return f"{name}{{{inner}}} {_value(value)}"


def samples(result: Any) -> dict[str, list[str]]:
    """The sample lines of one target's result (a ``dbxray.fleet.result.TargetResult``), by family."""
    out: dict[str, list[str]] = {name: [] for name in FAMILIES}
    target = {"target": result.name}
    rep = result.report
    out["dbxray_up"].append(_sample("dbxray_up", target, 1 if rep is not None else 0))
    out["dbxray_exit_code"].append(_sample("dbxray_exit_code", target, int(result.code)))
    out["dbxray_collection_duration_seconds"].append(
        _sample("dbxray_collection_duration_seconds", target, round(result.seconds, 3)))
    out["dbxray_last_run_timestamp_seconds"].append(
        _sample("dbxray_last_run_timestamp_seconds", target, round(result.finished_at.timestamp(), 3)))
    if rep is None:
        return out
    for (check, severity), n in sorted(Counter((f.check, f.severity) for f in rep.findings).items()):
        out["dbxray_findings"].append(_sample("dbxray_findings", {**target, "check": check, "severity": severity}, n))
    out["dbxray_report_incomplete"].append(_sample("dbxray_report_incomplete", target, 1 if rep.incomplete else 0))
    for b in result.bottlenecks(TOP_BOTTLENECKS):
        out["dbxray_bottleneck_score"].append(
            _sample("dbxray_bottleneck_score", {**target, "rank": b["rank"], "kind": b["kind"]}, float(b["score"])))
    return out


def render_results(results: list[Any]) -> str:
    """One exposition for any number of targets: each family once, its HELP and TYPE, then its samples."""
    per_target = [samples(r) for r in results]
    lines: list[str] = []
    for name, help_text in FAMILIES.items():
        lines += [f"# HELP {name} {_escape_help(help_text)}", f"# TYPE {name} gauge"]
        for target_samples in per_target:
            lines += target_samples[name]
    return "\n".join(lines) + "\n"


def render_prometheus(report: Any) -> str:
    """``dbxray report --format prometheus`` of one database, labelled ``host/database``."""
    from dbxray.commands.common import code_for
    from dbxray.fleet.result import TargetResult

    code, _ = code_for(report, None)
    seconds = (report.collection.get("duration_ms", 0.0)
               + sum((report.collection.get("live_analysis") or {}).values())
               + report.collection.get("diagnosis_ms", 0.0)) / 1000
    t = report.target
    name = f"{t.get('host') or 'localhost'}/{t.get('database', '')}"
    when = report.collected_at if report.collected_at.tzinfo else report.collected_at.replace(tzinfo=dt.UTC)
    return render_results([TargetResult(name, report, code, seconds=seconds, finished_at=when)])


def write_textfile(path: Path, text: str) -> None:
    """Atomically, as the textfile collector wants: ``path.tmp`` (not ``*.prom``, so never read), then rename."""
    from dbxray.commands.common import write_atomic

    write_atomic(path, text)
