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
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from dbxray.columns import ColumnBuilder, frame_from_columns, sort_columns
from dbxray.connect import Session
from dbxray.snapshot import CollectorRun, Snapshot

ProgressFn = Callable[[str], None]
BOOTSTRAP_METRICS = ("extensions", "server")
# A collector returning this many rows has its frame built before the next statement runs, so that two
# large results (150,000 indexes, then 300,000 columns on a 50,000-table catalog) are never both in memory.
SETTLE_ROWS = 100_000
# The checks' views are built during the collection (``Engine.warm``) up to this many tables: beyond, views
# built early coexist with the largest results still to come, and a 50,000-table report peaked at 622 MB
# instead of 481 MB; there the checks build them after the collection, as before.
WARM_MAX_TABLES = 20_000
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
    warm: bool = False,
) -> Snapshot:
    """Run every applicable collector on an open session and return the Snapshot.

    Statement text (the columns each collector names in ``-- normalize:``) is normalized by the
    engine (literals -> placeholders) as it arrives; ``raw_queries`` keeps it as the server gave it.
    ``pacer`` (``dbxray.pacing.Pacer``) pauses after each collector while the server is busy. ``warm``:
    the checks will run next, so their views of each frame are built as it arrives (``Engine.warm``)."""
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
    t0 = time.monotonic()
    for metric, spec in first.items():
        if isinstance(spec, str):
            snap.collectors.append(CollectorRun(metric, "skipped", 0.0, spec))
        else:
            _run_one(session, spec, snap, progress, engine, raw_queries)
    if pacer is not None and not snap.meta.get("connection_lost"):
        pacer.after(session, engine, time.monotonic() - t0)  # with the first frames comes pandas' import
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
    builder_thread = FrameBuilder()  # frames are built while the server runs the next collector
    try:
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
            rows = _run_one(session, spec, snap, progress, engine, raw_queries, builder_thread, warm)
            if rows >= SETTLE_ROWS:  # its frame is built before the next result arrives: one large at a time
                builder_thread.settle()
            if pacer is not None and not snap.meta.get("connection_lost"):
                pacer.after(session, engine, time.monotonic() - t0)
        builder_thread.join()
    finally:
        builder_thread.close()
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
             engine: Any, raw_queries: bool = False, builder_thread: FrameBuilder | None = None,
             warm: bool = False) -> int:
    """Run one collector; its rows become its frame here or, given ``builder_thread``, on that thread
    while this one goes on to the next collector's statement. Returns how many rows it read."""
    if progress:
        progress(spec.metric)
    t0 = time.monotonic()
    builder = ColumnBuilder()
    fetched = 0
    add = builder.add
    if builder_thread is not None:
        deferred = builder_thread.defer(builder.add)

        def add(cols: list[str], batch: list) -> None:
            nonlocal fetched
            fetched += len(batch)
            deferred(cols, batch)

    try:
        query_collector(session, spec, builder, add)
    except Exception as exc:
        status, detail = engine.classify_error(session, exc)
        if spec.privileges and status == "error" and detail.startswith("permission denied"):
            detail = f"{detail} (needs {spec.privileges})"
        snap.collectors.append(CollectorRun(spec.metric, status, (time.monotonic() - t0) * 1000, detail,
                                            source=spec.path.name))
        if session.lost() and not snap.meta.get("connection_lost"):
            snap.meta["connection_lost"] = {"during": spec.metric, "detail": detail}
        return 0
    run = CollectorRun(spec.metric, "ok", (time.monotonic() - t0) * 1000, "", source=spec.path.name)
    snap.collectors.append(run)
    finish = _finisher(spec, snap, engine, raw_queries, builder, run, warm_views=warm)
    if builder_thread is None:
        finish()
    else:
        builder_thread.defer(finish)()
    return max(fetched, builder.rows)


def _finisher(spec: CollectorSpec, snap: Snapshot, engine: Any, raw_queries: bool, builder: ColumnBuilder,
              run: CollectorRun, warm_views: bool = False) -> Callable[[], None]:
    """The client's part after the rows: sort, frame, normalize statement text, the engine's own reading;
    its time is added to the collector's."""

    def finish() -> None:
        t0 = time.monotonic()
        cols, columns, nrows = builder.cols, builder.columns, builder.rows
        sort = [c.strip() for c in spec.headers.get("sort", "").split(",") if c.strip()]
        if sort and nrows > 1 and all(c in cols for c in sort):  # ``-- sort:``: cheaper here than on the server
            sort_columns(cols, columns, sort)
        frame = frame_from_columns(cols, columns, nrows)
        if spec.normalize and not raw_queries:
            from dbxray.engines.sqltext import normalize_frame, safe_normalize

            normalize_frame(frame, spec.normalize,
                            lambda text: safe_normalize(engine.normalize_sql, text, engine.name))
        post = getattr(engine, "postprocess", None)  # an engine's own reading of its rows (MySQL: statements)
        snap.frames[spec.metric] = post(spec.metric, frame, snap) if post is not None else frame
        run.rows = nrows
        if warm_views and len(snap.frames.get("tables", ())) < WARM_MAX_TABLES:
            try:
                engine.warm(spec.metric, snap)  # the checks' views of this frame, while the server works
            except Exception:
                pass
        run.duration_ms += (time.monotonic() - t0) * 1000

    return finish


class FrameBuilder:
    """One worker thread that turns each collector's rows into its frame while the main thread waits for
    the server's next result: on a large catalog the client's part (columns, frames, normalizing 5,000
    statements) is a third of the collection, and the server is idle meanwhile. Work runs in the order it
    was deferred; at most ``pending`` batches wait, so rows never pile up beyond a few thousand.
    ``join`` waits for the lot and raises the first error the worker met."""

    def __init__(self, pending: int = 3) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self._pool = ThreadPoolExecutor(1, thread_name_prefix="dbxray-frames")
        self._slots = threading.BoundedSemaphore(pending)
        self._futures: list[Any] = []

    def defer(self, fn: Callable[..., None]) -> Callable[..., None]:
        def submit(*args: Any) -> None:
            self._slots.acquire()
            try:
                future = self._pool.submit(fn, *args)
            except BaseException:
                self._slots.release()
                raise
            future.add_done_callback(lambda _: self._slots.release())
            self._futures.append(future)

        return submit

    def settle(self) -> None:
        """Wait for the work deferred so far (raising the first error it met)."""
        for future in self._futures:
            future.result()

    def join(self) -> None:
        try:
            self.settle()
        finally:
            self.close()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def query_collector(session: Session, spec: CollectorSpec, builder: ColumnBuilder | None = None,
                    add: Callable[[list[str], list], None] | None = None) -> tuple[list[str], list[list], int]:
    """A collector's columns, as one list of values per column, and its row count.

    Rows arrive in batches (``Session.query_batches``) and go to ``add`` (by default the builder's own:
    straight into the column lists, strings repeated down a column sharing one object): the driver's
    rows never all exist at once, which was the peak of a large catalog's report. A collector with
    ``-- page_size: N`` and ``-- page_key: column`` runs as several statements of N rows (keyset:
    ``%(after)s``, ``%(page_size)s``): in autocommit each page's locks are released when it ends, where one
    statement reading 50,000 sequences (a lock each until the end of the transaction) would exhaust a stock
    server's lock table. Pages need the last key of the page before, so they always build here."""
    builder = builder if builder is not None else ColumnBuilder()
    size = int(spec.headers.get("page_size") or 0)
    if not size:
        add = add or builder.add
        for cols, batch in session.query_batches(spec.sql):
            add(cols, batch)
        return builder.cols, builder.columns, builder.rows
    key = spec.headers.get("page_key", "oid")
    after = 0
    while True:
        before = builder.rows
        for cols, batch in session.query_batches(spec.sql, {"after": after, "page_size": size}):
            builder.add(cols, batch)
        if builder.rows - before < size:
            return builder.cols, builder.columns, builder.rows
        after = builder.columns[builder.cols.index(key)][-1]
