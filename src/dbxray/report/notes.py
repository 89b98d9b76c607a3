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
    from dbxray import engine

    notes.extend(engine.of(snap).notes(snap))
    return notes


def incomplete_reasons(snap: Any) -> list[str]:
    """Why the report is partial (the CLI exits non-zero for these): no statement statistics, or
    collectors cut off by the statement timeout (a CI gate must not pass on what was never checked)."""
    timed_out = [run.name for run in snap.collectors if run.status == "timeout"]
    reasons = [f"{len(timed_out)} collector(s) cut off by the statement timeout ({', '.join(timed_out)}): "
               "raise --statement-timeout or look at the server's load"] if timed_out else []
    if snap.has("statements"):
        return reasons
    run = snap.run_of("statements")
    if run is not None and run.status == "timeout":
        return reasons
    from dbxray import engine

    why = f" ({run.detail})" if run and run.detail else ""
    return [*reasons, engine.of(snap).missing_statements(why)]
