"""Plain-language notes on what the collection could not see, so silence is never mistaken for health."""

from __future__ import annotations

from typing import Any


def capability_notes(snap: Any) -> list[str]:
    notes: list[str] = []
    for run in snap.collectors:
        if run.status == "error" and "permission denied" in run.detail:
            notes.append(f"{run.name}: not readable by this role ({run.detail})")
        elif run.status == "error":
            notes.append(f"{run.name}: collection failed ({run.detail})")
        elif run.status == "timeout":
            notes.append(f"{run.name}: {run.detail}; its checks had nothing to look at")
    paced = snap.meta.get("pacing")
    if paced:
        notes.append(f"the server was busy ({paced['busy_sessions']} other sessions at work): the collection "
                     f"paused {paced['paused_s']:.1f} s between its steps to keep dbxray's share of the time under "
                     f"{paced['share']:.0%} (--pace off reads at full speed)")
    from dbxray import engine

    notes.extend(engine.of(snap).notes(snap))
    return notes


def incomplete_reasons(snap: Any) -> list[str]:
    """Why the report is partial (the CLI exits 4 for these, and every format shows them): collectors
    that failed or were cut off by the statement timeout, and statement statistics the server does not
    keep. A CI gate must not pass on what was never checked."""
    from dbxray import engine

    reasons = []
    lost = snap.meta.get("connection_lost")
    if lost:  # one cause, said once: not a failure per collector, nor a missing extension
        not_run = [run.name for run in snap.collectors if run.status == "error" and run.name != lost["during"]]
        return [f"the connection to the server was lost while collecting {lost['during']} ({lost['detail']}): "
                f"{len(not_run)} collector(s) did not run, so their checks saw nothing; what was collected "
                "before is reported"]
    timed_out = [run.name for run in snap.collectors if run.status == "timeout"]
    if timed_out:
        reasons.append(f"{len(timed_out)} collector(s) cut off by the statement timeout ({', '.join(timed_out)}): "
                       "raise --statement-timeout or look at the server's load")
    failed = [run for run in snap.collectors if run.status == "error"]
    if failed:
        reasons.append(f"{len(failed)} collector(s) failed, so their checks saw nothing: "
                       + "; ".join(f"{run.name} ({run.detail})" for run in failed))
    run = snap.run_of("statements")
    if run is None or run.status != "timeout":
        gap = engine.of(snap).statements_gap(snap)
        if gap:
            reasons.append(gap)
    return reasons
