"""The directory store: what ``--history DIR`` has always written, made safe for several runners.

Layout (everything but the snapshots can be rebuilt, and the snapshots stay readable by
``dbxray report --snapshot FILE`` and by older dbxray versions)::

    dbxray-<host>-<db>-<UTC stamp>.json.gz   the snapshot (exactly ``Snapshot.save`` output)
    dbxray-<host>-<db>-<UTC stamp>.run.json  its listing facts (target key, counts, version)
    dbxray-index.json                     a cache of all the .run.json facts, for fast listings
    dbxray-store.json                     the layout version, so a newer layout is refused

A run exists once its ``.json.gz`` exists. Writers never edit shared files: each run's two
files are written to temporary names and linked into place (the link fails instead of
overwriting, which is how concurrent runners pick distinct names), the sidecar first. The
index is only a cache: readers add whatever runs it misses, from the sidecars, or, for runs
saved before sidecars existed, from the snapshot itself, and replace it atomically.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import gzip
import json
import os
import re
import time
import uuid
import zlib
from pathlib import Path
from typing import Any

from dbxray import __version__
from dbxray.findings import SEVERITIES
from dbxray.store import target as targets
from dbxray.store.base import RunInfo, Store, counts_of, iso_utc, parse_utc, utc
from dbxray.store.errors import StoreReadOnly, StoreTooNew, StoreUnavailable

LAYOUT_VERSION = 1
MARKER = "dbxray-store.json"
INDEX = "dbxray-index.json"
SNAPSHOT_SUFFIX = ".json.gz"
SIDECAR_SUFFIX = ".run.json"
TMP_PREFIX = ".tmp-"
STALE_TMP_S = 3600  # leftovers of a crashed writer older than this are removed by prune
_ID = re.compile(r"^dbxray-[A-Za-z0-9_.-]+$")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)[:60] or "db"


def _stem(key: str, label: str, collected_at: dt.datetime) -> str:
    """``dbxray-<host>-<database>-<stamp>``: the name older dbxray versions give (and look for)."""
    parts = targets.parse_key(key)
    where = f"{_slug(parts['host'] or '')}-{_slug(parts['database'] or '')}" if parts else _slug(label)
    return f"dbxray-{where}-{utc(collected_at).strftime('%Y%m%dT%H%M%S%fZ')}"


class DirectoryStore(Store):
    def __init__(self, path: str | Path, readonly: bool = False):
        self.path = Path(path)
        self.display = str(self.path)
        self.readonly = readonly
        if self.path.exists() and not self.path.is_dir():
            raise StoreUnavailable(f"history store {self.display} is a file, not a directory "
                                   "(for an SQLite store write sqlite:///path)")
        if readonly:
            if not self.path.is_dir():
                raise StoreUnavailable(f"no history store at {self.display} (no such directory)")
            self._check_layout()
        else:
            self._prepare()

    # -- opening ------------------------------------------------------------------------------------
    def _prepare(self) -> None:
        """Create the directory, prove we can write it (before any collection), stamp the layout."""
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            probe = self.path / f"{TMP_PREFIX}{uuid.uuid4().hex}.probe"
            probe.touch(exist_ok=False)
            probe.unlink()
        except OSError as exc:
            raise StoreReadOnly(f"history store {self.display} is read-only ({exc.strerror or exc.__class__.__name__}):"
                                " runs cannot be saved there") from None
        self._check_layout()
        if not (self.path / MARKER).exists():
            self._write_atomic(MARKER, {"format": "dbxray-history", "layout_version": LAYOUT_VERSION})

    def _check_layout(self) -> None:
        marker = self.path / MARKER
        if not marker.exists():
            return  # a directory written by an older dbxray: layout 1
        try:
            found = int(json.loads(marker.read_text(encoding="utf-8"))["layout_version"])
        except (OSError, ValueError, KeyError, TypeError):
            raise StoreUnavailable(f"{marker} is damaged (it only records the layout version: "
                                   "delete it and dbxray writes it again)") from None
        if found > LAYOUT_VERSION:
            raise StoreTooNew(f"history store {self.display} has layout version {found}, newer than this "
                              f"dbxray ({__version__}) knows ({LAYOUT_VERSION}): upgrade dbxray to use it")

    # -- writing ------------------------------------------------------------------------------------
    def save_run(self, target_key, target_label, collected_at, snapshot_bytes, report_summary=None) -> str:
        if self.readonly:
            raise StoreReadOnly(f"history store {self.display} was opened read-only")
        facts = {"format": "dbxray-run", "target_key": target_key, "target_label": target_label,
                 "collected_at": iso_utc(collected_at), "saved_at": iso_utc(dt.datetime.now(dt.UTC)),
                 "counts": counts_of(report_summary), "dbxray_version": __version__,
                 "summary": json.loads(_json(report_summary or {}))}
        stem = _stem(target_key, target_label, collected_at)
        try:
            snap_tmp = self._tmp_file(bytes(snapshot_bytes))
            try:
                for attempt in range(1, 1000):
                    run_id = stem if attempt == 1 else f"{stem}-{attempt}"
                    if self._claim(run_id, {**facts, "id": run_id}, snap_tmp):
                        self._sync_directory()
                        return run_id
            finally:
                with contextlib.suppress(OSError):
                    snap_tmp.unlink()
        except OSError as exc:
            raise self._os_error(exc, "save a run to") from None
        raise StoreUnavailable(f"history store {self.display}: no free name for a run of {target_label}")

    def _claim(self, run_id: str, facts: dict[str, Any], snap_tmp: Path) -> bool:
        """Link the sidecar, then the snapshot, under ``run_id``; False when the name is taken."""
        sidecar = self.path / f"{run_id}{SIDECAR_SUFFIX}"
        side_tmp = self._tmp_file(_json(facts).encode("utf-8"))
        try:
            os.link(side_tmp, sidecar)
        except FileExistsError:
            return False
        finally:
            side_tmp.unlink()
        try:
            os.link(snap_tmp, self.path / f"{run_id}{SNAPSHOT_SUFFIX}")
        except FileExistsError:  # a snapshot without sidecar (older dbxray) has this name
            sidecar.unlink()
            return False
        except BaseException:
            with contextlib.suppress(OSError):
                sidecar.unlink()
            raise
        return True

    def _tmp_file(self, data: bytes) -> Path:
        tmp = self.path / f"{TMP_PREFIX}{uuid.uuid4().hex}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        return tmp

    def _write_atomic(self, name: str, document: dict[str, Any]) -> None:
        tmp = self._tmp_file(_json(document).encode("utf-8"))
        try:
            os.replace(tmp, self.path / name)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise

    def _prune(self, cutoff: dt.datetime) -> int:
        if self.readonly:
            raise StoreReadOnly(f"history store {self.display} was opened read-only")
        removed = 0
        try:
            for info in self._entries().values():
                if info.collected_at < cutoff:
                    with contextlib.suppress(FileNotFoundError):  # another runner pruned it first
                        (self.path / f"{info.id}{SNAPSHOT_SUFFIX}").unlink()
                        removed += 1
                    with contextlib.suppress(FileNotFoundError):
                        (self.path / f"{info.id}{SIDECAR_SUFFIX}").unlink()
            self._remove_leftovers()
        except OSError as exc:
            raise self._os_error(exc, "prune") from None
        self._entries()  # rewrites the index without the removed runs
        return removed

    def _os_error(self, exc: OSError, action: str) -> Exception:
        """Permissions and read-only file systems are StoreReadOnly; a full disk is not."""
        kind = StoreReadOnly if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS) else StoreUnavailable
        return kind(f"cannot {action} history store {self.display}: {exc.strerror or exc.__class__.__name__}")

    def _sync_directory(self) -> None:
        """Make the new names durable too, not only the bytes behind them (power loss after a run)."""
        fd = os.open(self.path, os.O_RDONLY)
        try:
            os.fsync(fd)
        except OSError:
            pass  # some file systems cannot sync a directory; the run is still whole, just less durable
        finally:
            os.close(fd)

    def _remove_leftovers(self) -> None:
        """Temporary files and sidecars without a snapshot, left by writers that crashed."""
        old = time.time() - STALE_TMP_S
        names = set(os.listdir(self.path))
        for name in names:
            orphan = name.endswith(SIDECAR_SUFFIX) and \
                f"{name[:-len(SIDECAR_SUFFIX)]}{SNAPSHOT_SUFFIX}" not in names
            if name.startswith(TMP_PREFIX) or orphan:
                with contextlib.suppress(FileNotFoundError):
                    if os.stat(self.path / name).st_mtime < old:
                        os.unlink(self.path / name)

    # -- reading ------------------------------------------------------------------------------------
    def runs(self, target=None, limit=None) -> list[RunInfo]:
        found = [r for r in self._entries().values() if not target or target in (r.target_key, r.target_label)]
        found.sort(key=lambda r: (r.collected_at, r.id), reverse=True)
        return found[:limit] if limit else found

    def run(self, run_id: str) -> RunInfo:
        run_id = self._checked_id(run_id)
        info = self._entries().get(run_id)
        if info is None:
            raise self._not_found(run_id, self.display)
        return info

    def _snapshot_bytes(self, run_id: str) -> bytes:
        run_id = self._checked_id(run_id)
        try:
            return (self.path / f"{run_id}{SNAPSHOT_SUFFIX}").read_bytes()
        except FileNotFoundError:
            raise self._not_found(run_id, self.display) from None
        except OSError as exc:
            raise StoreUnavailable(f"cannot read run {run_id} in {self.display}: {exc.strerror}") from None

    def load_snapshot(self, run_id: str):
        return super().load_snapshot(self._checked_id(run_id))

    def _previous(self, target_key: str, before: dt.datetime) -> RunInfo | None:
        earlier = [r for r in self._entries().values() if r.target_key == target_key and r.collected_at < before]
        return max(earlier, key=lambda r: (r.collected_at, r.id), default=None)

    def _checked_id(self, run_id: str) -> str:
        """File stems only (a file name is accepted too): an id never walks out of the directory."""
        run_id = str(run_id).strip()
        run_id = run_id.removesuffix(SNAPSHOT_SUFFIX).removesuffix(SIDECAR_SUFFIX)
        if not _ID.match(run_id):
            raise self._not_found(run_id, self.display)
        return run_id

    # -- the index ----------------------------------------------------------------------------------
    def _entries(self) -> dict[str, RunInfo]:
        """Every run whose snapshot is here: from the index, completed from sidecars or snapshots."""
        try:
            names = os.listdir(self.path)
        except OSError as exc:
            raise StoreUnavailable(f"cannot list history store {self.display}: {exc.strerror}") from None
        stems = {n[:-len(SNAPSHOT_SUFFIX)] for n in names
                 if n.startswith("dbxray-") and n.endswith(SNAPSHOT_SUFFIX)}
        sidecars = {n[:-len(SIDECAR_SUFFIX)] for n in names if n.endswith(SIDECAR_SUFFIX)}
        cached, damaged = self._read_index()
        runs: dict[str, RunInfo] = {}
        still_damaged: dict[str, Any] = {}
        changed = bool(set(cached) - stems or set(damaged) - stems)
        for stem in stems:
            if stem in cached:
                runs[stem] = cached[stem]
                continue
            if stem in damaged and stem not in sidecars and damaged[stem].get("stat") == self._stat(stem):
                still_damaged[stem] = damaged[stem]
                continue
            changed = True
            info, problem = self._facts(stem, stem in sidecars)
            if info is not None:
                runs[stem] = info
            else:
                still_damaged[stem] = {"reason": problem, "stat": self._stat(stem)}
        if changed:  # a cache, not a run: refreshed even by read-only opens when the directory allows
            with contextlib.suppress(OSError):
                self._write_atomic(INDEX, {"format": "dbxray-history-index", "layout_version": LAYOUT_VERSION,
                                           "runs": [_entry(r) for r in runs.values()], "damaged": still_damaged})
        return runs

    def _read_index(self) -> tuple[dict[str, RunInfo], dict[str, Any]]:
        try:
            doc = json.loads((self.path / INDEX).read_text(encoding="utf-8"))
            runs = {e["id"]: _from_entry(e) for e in doc["runs"]}
            return runs, dict(doc.get("damaged") or {})
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return {}, {}  # missing or damaged: rebuilt from the files

    def _stat(self, stem: str) -> list[int]:
        with contextlib.suppress(OSError):
            st = os.stat(self.path / f"{stem}{SNAPSHOT_SUFFIX}")
            return [st.st_size, st.st_mtime_ns]
        return []

    def _facts(self, stem: str, has_sidecar: bool) -> tuple[RunInfo | None, str]:
        if has_sidecar:
            with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
                doc = json.loads((self.path / f"{stem}{SIDECAR_SUFFIX}").read_text(encoding="utf-8"))
                return _from_entry({**doc, "id": stem}), ""
        return self._facts_from_snapshot(stem)

    def _facts_from_snapshot(self, stem: str) -> tuple[RunInfo | None, str]:
        """A run saved by an older ``--history DIR``: read its header fields (no DataFrames built)."""
        try:
            raw = _snapshot_header((self.path / f"{stem}{SNAPSHOT_SUFFIX}").read_bytes())
            meta = raw.get("meta") or {}
            findings = meta.get("report_findings") or []
            counts = {sev: sum(1 for f in findings if f.get("severity") == sev) for sev in SEVERITIES}
            port = int(meta["port"]) if meta.get("port") else None
            info = RunInfo(id=stem, target_key=targets.target_key(raw["engine"], raw["host"], port, raw["database"]),
                           target_label=targets.target_label(raw["host"], port, raw["database"]),
                           collected_at=parse_utc(raw["collected_at"]), counts=counts,
                           summary={"findings": counts} if "report_findings" in meta else {})
            return info, ""
        except (OSError, EOFError, ValueError, KeyError, TypeError, AttributeError, zlib.error) as exc:
            return None, f"{exc.__class__.__name__}"


def _snapshot_header(data: bytes) -> dict[str, Any]:
    """The fields ``Snapshot.to_dict`` writes before ``frames`` (last, and nearly all the bytes):
    inflate only up to there. Anything unexpected falls back to reading the whole document."""
    marker = b',"frames":'  # a quote inside a JSON string is escaped: this only matches a key
    inflate = zlib.decompressobj(wbits=31)
    text = b""
    for start in range(0, len(data), 1 << 16):
        text += inflate.decompress(data[start:start + (1 << 16)])
        cut = text.find(marker)
        if cut >= 0:
            with contextlib.suppress(ValueError):
                return json.loads(text[:cut] + b"}")
            break
    return json.loads(gzip.decompress(data))


def _json(document: Any) -> str:
    from dbxray.findings import jsonable

    return json.dumps(jsonable(document), separators=(",", ":"), sort_keys=True)


def _entry(info: RunInfo) -> dict[str, Any]:
    return {"id": info.id, "target_key": info.target_key, "target_label": info.target_label,
            "collected_at": iso_utc(info.collected_at), "counts": info.counts,
            "dbxray_version": info.dbxray_version, "summary": info.summary}


def _from_entry(e: dict[str, Any]) -> RunInfo:
    return RunInfo(id=e["id"], target_key=e["target_key"], target_label=e["target_label"],
                   collected_at=parse_utc(e["collected_at"]), counts=dict(e.get("counts") or {}),
                   dbxray_version=e.get("dbxray_version", ""), summary=dict(e.get("summary") or {}))
