"""The check cases: ``cases/<check_id>.yaml``, small snapshots and the findings they must (hit) or must
not (near-miss) produce, for every check on every engine (sqlfluff's rule-case files).

A file holds ``check`` and a list of ``cases``; each case has::

    name:      unique in the file
    engine:    postgres | mysql | ...
    kind:      hit | near-miss
    from:      the live test whose collected snapshot the case was cut down from
    snapshot:  Snapshot attributes besides the frames (version_num, database, collected_at, meta)
    config:    the check's [checks.<id>] overrides
    frames:    {collector name: [row, …]}, only the columns the check reads
    collectors: runs that did not succeed ({name, status, detail}); every frame given ran "ok"
    previous:  the previous run, for the checks that compare two runs (``snap.previous``):
               {snapshot (collected_at required), frames, collectors, previous (the run before it)}
    expect:    [{severity, object, title (a substring), check (when another id is emitted)}]

or, for a variation of another case, ``like: <name>`` with ``patch: {frame: {row index: {column:
value}}}`` (and its own ``config`` / ``expect``): a near-miss reads as "the hit, with one number
changed". ``patch: {previous: {frame: …}}`` patches the previous run's frames (nested likewise).

A case with ``previous`` is checked the way ``dbxray report --history`` / ``--baseline`` checks it:
the current snapshot turned into the interval since the previous run by
``dbxray.report.summary.interval_snapshot`` (statement counters as deltas, ``meta.interval``, the
previous run as ``snap.previous``), the previous run carrying the one before it as its ``previous``
(``commands.report._previous``). The previous runs take the case's snapshot attributes (same server
and database) unless they give their own.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from dbxray.config import Config
from dbxray.snapshot import CollectorRun, Snapshot

CASES_DIR = Path(__file__).parent / "cases"
COLLECTED_AT = dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC)


@dataclass
class Case:
    check: str
    name: str
    engine: str
    kind: str
    frames: dict[str, list[dict[str, Any]]]
    snapshot: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    collectors: list[dict[str, Any]] = field(default_factory=list)
    expect: list[dict[str, Any]] = field(default_factory=list)
    previous: dict[str, Any] | None = None

    @property
    def id(self) -> str:
        return f"{self.check}:{self.name}"

    def build_snapshot(self) -> Snapshot:
        """What the check sees: the snapshot, or with ``previous`` the interval since that run."""
        snap = _snapshot(self.engine, self.snapshot, self.frames, self.collectors)
        if self.previous is None:
            return snap
        from dbxray.report.summary import interval_snapshot

        return interval_snapshot(snap, _previous_run(self.engine, self.snapshot, self.previous))

    def build_config(self) -> Config:
        return Config(checks={self.check: dict(self.config)} if self.config else {})


def _snapshot(engine: str, snapshot: dict[str, Any], frames: dict[str, list[dict[str, Any]]],
              collectors: list[dict[str, Any]]) -> Snapshot:
    attrs = copy.deepcopy(snapshot)
    dfs = {name: pd.DataFrame.from_records(rows) if rows else pd.DataFrame()
           for name, rows in copy.deepcopy(frames).items()}
    runs = [CollectorRun(**run) for run in collectors]
    failed = {run.name for run in runs}
    runs += [CollectorRun(name, "ok", rows=len(df)) for name, df in dfs.items() if name not in failed]
    return Snapshot(
        engine=engine,
        server_version=str(attrs.pop("server_version", "")),
        version_num=int(attrs.pop("version_num", 0)),
        database=attrs.pop("database", "shop"),
        host=attrs.pop("host", "db.example"),
        collected_at=_aware(attrs.pop("collected_at", COLLECTED_AT)),
        frames=dfs,
        collectors=runs,
        meta=attrs.pop("meta", {"flavor": engine}),
    )


PREVIOUS_KEYS = {"snapshot", "frames", "collectors", "previous"}


def _previous_run(engine: str, later: dict[str, Any], raw: dict[str, Any]) -> Snapshot:
    """An earlier run of the same server (the later run's attributes, its own ``collected_at``), with
    the run before it as its ``previous``, as the history store hands them to the checks."""
    unknown = set(raw) - PREVIOUS_KEYS
    if unknown:
        raise ValueError(f"previous: unknown keys {sorted(unknown)} (allowed: {sorted(PREVIOUS_KEYS)})")
    own = raw.get("snapshot") or {}
    if "collected_at" not in own:
        raise ValueError("previous: snapshot.collected_at is required (an earlier run)")
    attrs = {**{k: v for k, v in later.items() if k != "collected_at"}, **own}
    snap = _snapshot(engine, attrs, raw.get("frames", {}), raw.get("collectors", []))
    if raw.get("previous") is not None:
        snap.previous = _previous_run(engine, attrs, raw["previous"])
    return snap


def _aware(when: dt.datetime) -> dt.datetime:
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _patched(base: dict[str, Any], patch: dict[str, dict[int, dict[str, Any]]]) -> dict[str, Any]:
    frames = copy.deepcopy(base)
    for frame, rows in patch.items():
        for index, values in rows.items():
            frames[frame][int(index)].update(values)
    return frames


def _patched_previous(base: dict[str, Any] | None, patch: dict[str, Any]) -> dict[str, Any] | None:
    """``patch: {previous: {frame: {row: {column: value}}, previous: {…}}}`` applied to the previous runs."""
    if not patch:
        return copy.deepcopy(base)
    if base is None:
        raise ValueError("patch: previous given but the case has no previous run")
    out = copy.deepcopy(base)
    nested = patch.get("previous")
    out["frames"] = _patched(base.get("frames", {}), {k: v for k, v in patch.items() if k != "previous"})
    if nested:
        out["previous"] = _patched_previous(base.get("previous"), nested)
    return out


def load_file(path: Path) -> list[Case]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    check = data["check"]
    if path.stem != check:
        raise ValueError(f"{path.name} holds cases of {check}")
    raw_cases: dict[str, dict[str, Any]] = {}
    out = []
    for raw in data["cases"]:
        if raw["name"] in raw_cases:
            raise ValueError(f"{path.name}: two cases named {raw['name']}")
        if "like" in raw:
            base = raw_cases[raw["like"]]
            merged = {**base, "expect": [], **{k: v for k, v in raw.items() if k not in ("like", "patch")}}
            patch = dict(raw.get("patch", {}))
            previous_patch = patch.pop("previous", None)
            merged["frames"] = _patched(raw.get("frames", base.get("frames", {})), patch)
            merged["previous"] = _patched_previous(raw.get("previous", base.get("previous")), previous_patch)
            raw = merged
        raw_cases[raw["name"]] = raw
        out.append(Case(check=check, name=raw["name"], engine=raw["engine"], kind=raw["kind"],
                        frames=raw.get("frames", {}), snapshot=raw.get("snapshot", {}),
                        config=raw.get("config") or {}, collectors=raw.get("collectors", []),
                        expect=raw.get("expect", []), previous=raw.get("previous")))
    return out


def load_cases() -> list[Case]:
    out = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        try:
            out.extend(load_file(path))
        except (KeyError, IndexError, TypeError, ValueError, yaml.YAMLError) as exc:
            raise ValueError(f"{path.name}: {exc.__class__.__name__}: {exc}") from exc
    return out
