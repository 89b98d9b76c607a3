"""Run the collectors that apply to this server and turn their rows into a Snapshot.

Each collector is a SQL file under ``collectors/<engine>/`` whose header says what it
needs (``-- metric:``, ``-- min_server:``, ``-- extension:``, ``-- flavor:``,
``-- privileges:``, ``-- about:``) and which of its columns carry statement text (``-- normalize:``:
their literals become placeholders as soon as the rows arrive, unless ``raw_queries``).
Several files may serve one metric; as in pgwatch, the
runner picks the newest variant the server satisfies. Every collector is timed, and one
failure never stops the others.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from dbxray.connect import Session
from dbxray.snapshot import CollectorRun, Snapshot

ProgressFn = Callable[[str], None]
BOOTSTRAP_METRICS = ("extensions", "server")
# Session settings while the collectors run, undone afterwards (the live analysis that follows plans
# the application's statements under the server's own settings). JIT compiles the catalog queries of
# a large catalog for nothing: 0.5-0.8 s per big collector on 10,000 tables, more than the query.


def collectors_dir(engine: str) -> Path:
    """Where the SQL lives: inside the installed package, or at the root of a source checkout."""
    here = Path(__file__).resolve().parent
    for base in (here / "collectors", here.parents[1] / "collectors"):
        if (base / engine).is_dir():
            return base / engine
    raise FileNotFoundError(f"collector SQL for {engine} not found next to {here}")


@dataclass(frozen=True)
class CollectorSpec:
    """One SQL file and what it needs to run."""

    path: Path
    metric: str
    sql: str
    min_server: int = 0
    max_server: int = 10**9
    extension: str | None = None
    min_extension: tuple[int, ...] = ()
    flavor: str | None = None  # mysql engine only: "mariadb" or "mysql"
    privileges: str = ""
    about: str = ""
    order: int = 50
    needs: str = ""  # "superuser": skipped, with a note, for other roles
    normalize: tuple[str, ...] = ()  # columns with statement text: literals become placeholders
    headers: dict = field(default_factory=dict, compare=False, hash=False)

    def reason_not_applicable(self, ctx: ServerContext) -> str | None:
        """Why this variant cannot run here, or None when it can."""
        if self.flavor and self.flavor != ctx.flavor:
            return f"needs {self.flavor}"
        if ctx.version_num < self.min_server:
            return f"needs server version >= {format_version(self.min_server, ctx.engine)}"
        if ctx.version_num > self.max_server:
            return f"only for server version <= {format_version(self.max_server, ctx.engine)}"
        if self.needs == "superuser" and not ctx.is_superuser:
            return "needs a superuser" if ctx.is_superuser is not None else \
                "could not tell whether this role is a superuser (the server collector failed)"
        if self.extension:
            if ctx.extensions is None:
                return (f"could not tell whether extension {self.extension} is installed "
                        "(the extensions collector failed)")
            installed = ctx.extensions.get(self.extension)
            if installed is None:
                return f"extension {self.extension} is not installed in this database"
            if version_tuple(installed) < self.min_extension:
                wanted = ".".join(map(str, self.min_extension))
                return f"needs {self.extension} >= {wanted} (installed {installed})"
        return None

    @property
    def specificity(self) -> tuple:
        return (self.min_server, self.min_extension)


@dataclass
class ServerContext:
    """What the runner knows about the server before choosing variants."""

    engine: str
    version_num: int
    flavor: str
    extensions: dict[str, str] | None = field(default_factory=dict)  # None: unknown (collector failed)
    is_superuser: bool | None = False  # None: unknown (the server collector failed)


def version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", str(text)))


def format_version(num: int, engine: str) -> str:
    from dbxray import engine as engines

    return engines.get(engine).format_version(num)


_HEADER = re.compile(r"^--\s*([a-z_]+)\s*:\s*(.*?)\s*$")


def parse_spec(path: Path) -> CollectorSpec:
    """Read a collector file's header comments into a CollectorSpec."""
    text = path.read_text(encoding="utf-8")
    headers: dict[str, str] = {}
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        m = _HEADER.match(line)
        if m:
            headers[m.group(1)] = m.group(2)
    ext_name, ext_min = None, ()
    if headers.get("extension"):
        parts = headers["extension"].replace(">=", " ").split()
        ext_name = parts[0]
        ext_min = version_tuple(parts[1]) if len(parts) > 1 else ()
    return CollectorSpec(
        path=path,
        metric=headers.get("metric", path.stem),
        sql=text,
        min_server=int(headers.get("min_server", 0)),
        max_server=int(headers.get("max_server", 10**9)),
        extension=ext_name,
        min_extension=ext_min,
        flavor=headers.get("flavor") or None,
        privileges=headers.get("privileges", ""),
        about=headers.get("about", ""),
        order=int(headers.get("order", 50)),
        needs=headers.get("needs", ""),
        normalize=tuple(c.strip() for c in headers.get("normalize", "").split(",") if c.strip()),
        headers=headers,
    )


@cache
def load_specs(engine: str) -> tuple[CollectorSpec, ...]:
    """The collectors of ``engine``, from the folder the engine names (``collectors/<engine>/``)."""
    from dbxray import engine as engines

    return tuple(parse_spec(p) for p in sorted(engines.get(engine).collectors_path().glob("*.sql")))


def choose(specs: tuple[CollectorSpec, ...], ctx: ServerContext) -> dict[str, CollectorSpec | str]:
    """For each metric: the most specific applicable variant, or the reason none applies."""
    by_metric: dict[str, list[CollectorSpec]] = {}
    for spec in specs:
        by_metric.setdefault(spec.metric, []).append(spec)
    chosen: dict[str, CollectorSpec | str] = {}
    for metric, variants in sorted(by_metric.items(), key=lambda kv: (min(v.order for v in kv[1]), kv[0])):
        ok = [v for v in variants if v.reason_not_applicable(ctx) is None]
        if ok:
            chosen[metric] = max(ok, key=lambda v: v.specificity)
        else:
            nearest = max(variants, key=lambda v: v.specificity)
            chosen[metric] = nearest.reason_not_applicable(ctx) or "not applicable"
    return chosen


def run_collectors(
    session: Session,
    only: set[str] | None = None,
    progress: ProgressFn | None = None,
    raw_queries: bool = False,
    pacer: Any = None,
) -> Snapshot:
    """Run every applicable collector on an open session and return the Snapshot.

    Statement text (the columns each collector names in ``-- normalize:``) is normalized by the
    engine (literals -> placeholders) as it arrives; ``raw_queries`` keeps it as the server gave it.
    ``pacer`` (``dbxray.pacing.Pacer``) pauses after each collector while the server is busy."""
    from dbxray import engine as engines

    started = time.monotonic()
    engine = engines.of(session)
    ctx = ServerContext(engine=session.engine, version_num=session.version_num, flavor=engine.flavor(session))
    snap = Snapshot(
        engine=session.engine,
        server_version=session.server_version,
        version_num=session.version_num,
        database=session.database,
        host=session.target.host,
        collected_at=dt.datetime.now(dt.UTC),
        meta={"flavor": ctx.flavor},
    )
    if raw_queries:
        snap.meta["raw_queries"] = True  # the opt-in is recorded with what it kept
    specs = load_specs(session.engine)
    if pacer is not None:
        pacer.start(session, engine)  # a busy server is known before any work: the process yields from here
    _session_settings(session, snap, engine.collection_settings)  # e.g. no JIT: it costs more than it saves
    # extensions and server first: the other collectors' variants depend on what is installed
    # and on who we are
    first = choose(tuple(s for s in specs if s.metric in BOOTSTRAP_METRICS), ctx)
    for metric, spec in first.items():
        if isinstance(spec, str):
            snap.collectors.append(CollectorRun(metric, "skipped", 0.0, spec))
        else:
            _run_one(session, spec, snap, progress, engine, raw_queries)
    if snap.has("extensions"):
        ext = snap["extensions"]
        ctx.extensions = dict(zip(ext["name"], ext["version"])) if not ext.empty else {}
    elif any(s.metric == "extensions" for s in specs):
        ctx.extensions = None
    server = snap["server"]
    if not server.empty and "is_superuser" in server:
        ctx.is_superuser = bool(server.iloc[0]["is_superuser"])
    elif any(s.needs == "superuser" for s in specs):
        ctx.is_superuser = None
    for metric, spec in choose(specs, ctx).items():
        if metric in BOOTSTRAP_METRICS or (only and metric not in only):
            continue
        if isinstance(spec, str):
            snap.collectors.append(CollectorRun(metric, "skipped", 0.0, spec))
            continue
        if snap.meta.get("connection_lost"):
            snap.collectors.append(CollectorRun(metric, "error", 0.0, "not run: the connection was lost",
                                                source=spec.path.name))
            continue
        t0 = time.monotonic()
        _run_one(session, spec, snap, progress, engine, raw_queries)
        if pacer is not None and not snap.meta.get("connection_lost"):
            pacer.after(session, engine, time.monotonic() - t0)
    _session_settings(session, snap, engine.collection_resets)
    if pacer is not None and pacer.summary():
        snap.meta["pacing"] = pacer.summary()
    snap.duration_ms = (time.monotonic() - started) * 1000
    snap.meta["extensions"] = ctx.extensions or {}
    return snap


def _session_settings(session: Session, snap: Snapshot, statements: tuple[str, ...]) -> None:
    """Session settings around the collectors; a lost connection here is recorded like a collector's."""
    for stmt in statements:
        if snap.meta.get("connection_lost"):
            return
        try:
            session.query(stmt)
        except Exception as exc:
            if not session.lost():
                raise
            snap.meta["connection_lost"] = {"during": "session settings", "detail": " ".join(str(exc).split())}


def _run_one(session: Session, spec: CollectorSpec, snap: Snapshot, progress: ProgressFn | None,
             engine: Any, raw_queries: bool = False) -> None:
    if progress:
        progress(spec.metric)
    t0 = time.monotonic()
    try:
        cols, columns, nrows = query_collector(session, spec)
    except Exception as exc:
        status, detail = engine.classify_error(session, exc)
        if spec.privileges and status == "error" and detail.startswith("permission denied"):
            detail = f"{detail} (needs {spec.privileges})"
        snap.collectors.append(CollectorRun(spec.metric, status, (time.monotonic() - t0) * 1000, detail,
                                            source=spec.path.name))
        if session.lost() and not snap.meta.get("connection_lost"):
            snap.meta["connection_lost"] = {"during": spec.metric, "detail": detail}
        return
    sort = [c.strip() for c in spec.headers.get("sort", "").split(",") if c.strip()]
    if sort and nrows > 1 and all(c in cols for c in sort):  # ``-- sort:``: cheaper here than on the server
        sort_columns(cols, columns, sort)
    frame = frame_from_columns(cols, columns, nrows)
    if spec.normalize and not raw_queries:
        from dbxray.engines.sqltext import normalize_frame, safe_normalize

        normalize_frame(frame, spec.normalize, lambda text: safe_normalize(engine.normalize_sql, text, engine.name))
    post = getattr(engine, "postprocess", None)  # an engine's own reading of its rows (MySQL: statements)
    snap.frames[spec.metric] = post(spec.metric, frame, snap) if post is not None else frame
    snap.collectors.append(CollectorRun(spec.metric, "ok", (time.monotonic() - t0) * 1000, "", nrows,
                                        source=spec.path.name))


def query_collector(session: Session, spec: CollectorSpec) -> tuple[list[str], list[list], int]:
    """A collector's columns, as one list of values per column, and its row count.

    Rows arrive in batches (``Session.query_batches``) and go straight into the column lists, strings
    repeated down a column sharing one object (``ColumnBuilder``): the driver's rows never all exist at
    once, which was the peak of a large catalog's report. A collector with ``-- page_size: N`` and
    ``-- page_key: column`` runs as several statements of N rows (keyset: ``%(after)s``,
    ``%(page_size)s``): in autocommit each page's locks are released when it ends, where one statement
    reading 50,000 sequences (a lock each until the end of the transaction) would exhaust a stock
    server's lock table."""
    size = int(spec.headers.get("page_size") or 0)
    if not size:
        builder = ColumnBuilder()
        for cols, batch in session.query_batches(spec.sql):
            builder.add(cols, batch)
        return builder.cols, builder.columns, builder.rows
    key = spec.headers.get("page_key", "oid")
    builder = ColumnBuilder()
    after = 0
    while True:
        before = builder.rows
        for cols, batch in session.query_batches(spec.sql, {"after": after, "page_size": size}):
            builder.add(cols, batch)
        if builder.rows - before < size:
            return builder.cols, builder.columns, builder.rows
        after = builder.columns[builder.cols.index(key)][-1]


def _shared(seen: dict, values: Any) -> list:
    """``values`` with each string replaced by the first equal one ``seen`` holds (a C-level map: this
    runs over every value of a large catalog); anything unhashable is kept as it is."""
    try:
        return list(map(seen.setdefault, values, values))
    except TypeError:  # a list or a dict among the values
        return [seen.setdefault(v, v) if isinstance(v, str) else v for v in values]


def _pooled(pool: dict, seen: dict, values: Any) -> list:
    """Lists (key columns, operator classes, INCLUDE lists) with equal lists sharing one list object and
    their strings shared: 150,000 indexes carry a few thousand distinct ``['id']``, ``[False]`` or ``[]``.
    Frame values are read-only, so sharing is safe; lists of unhashable items are left as they are."""
    out = []
    for v in values:
        if isinstance(v, list):
            try:
                hit = pool.get(tuple(v))
            except TypeError:
                hit = None
            if hit is None:
                v[:] = _shared(seen, v)
                try:
                    pool[tuple(v)] = v
                except TypeError:
                    pass
                hit = v
            v = hit
        out.append(v)
    return out


class ColumnBuilder:
    """Rows appended batch by batch into one list per column. The driver makes a new ``str`` for every
    value, so 'public' on 150,000 index rows would be 150,000 objects, and so would the table names,
    access methods and the column names inside the key lists: a column whose first batch repeats its
    strings keeps one object per distinct string (in lists too, element by element), which takes a fifth
    off a 50,000-table report's memory. Columns of mostly distinct values (names, definitions) are left
    alone."""

    SAMPLE = 2000

    def __init__(self) -> None:
        self.cols: list[str] = []
        self.columns: list[list] = []
        self.rows = 0
        self._shared: list[dict | None] | None = None
        self._lists: list[bool] = []
        self._pools: list[dict] = []

    def add(self, cols: list[str], batch: list) -> None:
        if not self.cols:
            self.cols = list(cols)
            self.columns = [[] for _ in cols]
        if not batch:
            return
        by_column = list(zip(*batch))
        if self._shared is None:
            self._decide(by_column)
        for j, values in enumerate(by_column):
            seen = self._shared[j]
            if seen is None:
                self.columns[j].extend(values)
            elif self._lists[j]:
                self.columns[j].extend(_pooled(self._pools[j], seen, values))
            else:
                self.columns[j].extend(_shared(seen, values))
        self.rows += len(batch)

    def _decide(self, by_column: list[tuple]) -> None:
        self._shared, self._lists = [], []
        self._pools = [{} for _ in by_column]
        for values in by_column:
            first = next((v for v in values[:100] if v is not None), None)
            if isinstance(first, list):
                self._shared.append({})
                self._lists.append(True)
                continue
            sample = [v for v in values[: self.SAMPLE] if isinstance(v, str)]
            repeated = bool(sample) and len(set(sample)) <= len(sample) // 2
            self._shared.append({} if repeated else None)
            self._lists.append(False)


def sort_columns(cols: list[str], columns: list[list], keys: list[str]) -> None:
    """Reorder the column lists, in place and one column at a time, by the values of ``keys`` (byte order
    of strings, as the server's C collation of ``name``; None last). A sorted copy of a whole 150,000-row
    frame would be a transient second frame."""
    key_columns = [columns[cols.index(k)] for k in keys]

    def key(i: int) -> tuple:
        return tuple((v is None, v if v is not None else "") for v in (c[i] for c in key_columns))

    order = sorted(range(len(columns[0])), key=key)
    for j, values in enumerate(columns):
        columns[j] = [values[i] for i in order]


def frame_from_columns(cols: list[str], columns: list[list], nrows: int) -> Any:
    """The DataFrame ``DataFrame.from_records(rows)`` makes of these rows (same dtypes, value for value),
    built one column at a time: from_records first turns every row into a tuple and the whole result into
    one 2-D object array, a transient copy of the largest collector (150,000 indexes of 30 columns on a
    50,000-table catalog). Each column list is released once converted. Falls back to from_records where
    pandas lacks the per-column conversion it uses (``convert_object_array``, what from_records calls)."""
    import numpy as np
    import pandas as pd

    try:
        from pandas.core.internals.construction import convert_object_array
    except ImportError:  # another pandas layout: the row path, same result, more memory
        convert_object_array = None
    if convert_object_array is None or not nrows or not columns:
        return pd.DataFrame.from_records(zip(*columns) if nrows and columns else iter(()), columns=cols,
                                         nrows=nrows)
    arrays = {}
    for j in range(len(columns)):
        values, columns[j] = columns[j], []
        arrays[j] = convert_object_array([np.fromiter(values, dtype=object, count=nrows)], dtype=None)[0]
        del values
    frame = pd.DataFrame(arrays)
    frame.columns = cols
    return frame
