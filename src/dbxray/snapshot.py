"""The collected facts: one DataFrame per collector plus metadata; saved, loaded and diffed.

A snapshot is what history is made of: ``dbxray report --save`` writes one, and a later
``--baseline`` turns two of them into the workload *between* them (deltas and rates)
instead of resetting anyone's ``pg_stat_statements``.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dbxray.errors import BadInput

if TYPE_CHECKING:  # pandas (0.3 s to import) loads with the first frame: after the busy probe, at low priority
    import pandas as pd

FORMAT_VERSION = 1


@dataclass
class CollectorRun:
    """How one collector went: ``ok``, ``skipped``, ``error`` or ``timeout``, and how long it took."""

    name: str
    status: str
    duration_ms: float = 0.0
    detail: str = ""
    rows: int = 0
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "duration_ms": round(self.duration_ms, 1),
                "detail": self.detail, "rows": self.rows, "source": self.source}


@dataclass
class Snapshot:
    engine: str
    server_version: str
    version_num: int
    database: str
    host: str
    collected_at: dt.datetime
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    collectors: list[CollectorRun] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    duration_ms: float = 0.0
    # the run before this one, when the report covers an interval (never saved: history keeps each run)
    previous: Snapshot | None = field(default=None, repr=False, compare=False)

    # -- access ---------------------------------------------------------------------------------
    def __getitem__(self, name: str) -> pd.DataFrame:
        """The frame of a collector, or an empty frame when it did not run: checks stay simple."""
        frame = self.frames.get(name)  # not .get(name, pd.DataFrame()): that builds a frame on every call
        if frame is not None:
            return frame
        import pandas as pd

        return pd.DataFrame()

    def has(self, name: str) -> bool:
        return name in self.frames

    def run_of(self, name: str) -> CollectorRun | None:
        return next((c for c in self.collectors if c.name == name), None)

    def setting(self, name: str, default: Any = None) -> Any:
        """A server setting by name (from the ``settings`` frame), as text."""
        df = self.frames.get("settings")
        if df is None or df.empty:
            return default
        hit = df.loc[df["name"] == name]
        return default if hit.empty else hit.iloc[0]["setting"]

    # -- persistence ------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "format": "dbxray-snapshot",
            "format_version": FORMAT_VERSION,
            "engine": self.engine,
            "server_version": self.server_version,
            "version_num": self.version_num,
            "database": self.database,
            "host": self.host,
            "collected_at": self.collected_at.isoformat(),
            "duration_ms": self.duration_ms,
            "collectors": [c.to_dict() for c in self.collectors],
            "meta": self.meta,
            "frames": {name: json.loads(df.to_json(orient="table", date_format="iso", date_unit="us", index=False,
                                                   default_handler=str))
                       for name, df in self.frames.items()},
        }

    def save(self, path: str | Path) -> Path:
        """Write the snapshot as JSON (gzip when the name ends in ``.gz``)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".gz":
            path.write_bytes(self.to_bytes())
        else:
            path.write_text(self._json(), encoding="utf-8")
        return path

    def _json(self) -> str:
        from dbxray.findings import jsonable

        return json.dumps(jsonable(self.to_dict()), separators=(",", ":"))

    def to_bytes(self) -> bytes:
        """The gzip JSON that ``save`` writes to a ``.gz`` file: what history stores keep per run."""
        return gzip.compress(self._json().encode("utf-8"), compresslevel=6, mtime=0)

    @classmethod
    def from_bytes(cls, data: bytes, origin: str = "snapshot") -> Snapshot:
        """Read ``to_bytes`` output (or plain JSON); damage is a one-line BadInput naming ``origin``."""
        try:
            text = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
            raw = json.loads(text)
        except (OSError, EOFError, ValueError, zlib.error) as exc:
            raise BadInput(f"not a dbxray snapshot: {origin} ({exc.__class__.__name__})") from None
        if not isinstance(raw, dict) or raw.get("format") != "dbxray-snapshot":
            raise BadInput(f"not a dbxray snapshot: {origin}")
        return cls._checked(raw, origin)

    @classmethod
    def load(cls, path: str | Path) -> Snapshot:
        path = Path(path)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise BadInput(f"snapshot file not found: {path}") from None
        except OSError as exc:
            raise BadInput(f"cannot read snapshot {path}: {exc.strerror or exc.__class__.__name__}") from None
        return cls.from_bytes(data, str(path))

    @classmethod
    def _checked(cls, raw: dict[str, Any], origin: str) -> Snapshot:
        """``from_dict`` where a truncated or hand-edited document is a BadInput, not a KeyError."""
        try:
            return cls.from_dict(raw)
        except (KeyError, TypeError, ValueError) as exc:
            detail = " ".join(str(exc).split())[:200]
            raise BadInput(f"damaged dbxray snapshot: {origin} ({exc.__class__.__name__}: {detail})") from None

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Snapshot:
        frames = {}
        for name, table in raw.get("frames", {}).items():
            frames[name] = _frame_from_table(table)
        return cls(
            engine=raw["engine"],
            server_version=raw["server_version"],
            version_num=int(raw["version_num"]),
            database=raw["database"],
            host=raw["host"],
            collected_at=dt.datetime.fromisoformat(raw["collected_at"]),
            frames=frames,
            collectors=[CollectorRun(**c) for c in raw.get("collectors", [])],
            meta=raw.get("meta", {}),
            duration_ms=raw.get("duration_ms", 0.0),
        )


def _frame_from_table(table: dict[str, Any]) -> pd.DataFrame:
    """Rebuild a frame written with ``orient='table'``, keeping column order and dtypes."""
    import pandas as pd

    fields = [f for f in table.get("schema", {}).get("fields", []) if f["name"] != "index"]
    if not table.get("data"):
        return pd.DataFrame(columns=[f["name"] for f in fields])
    df = pd.read_json(io.StringIO(json.dumps(table)), orient="table")
    return df.reset_index(drop=True)
