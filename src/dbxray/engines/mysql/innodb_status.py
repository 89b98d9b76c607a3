"""The latest detected deadlock in the text of ``SHOW ENGINE INNODB STATUS`` (MySQL 5.7/8.x, MariaDB).

A pure function of the status text: ``latest_deadlock(text)`` returns a :class:`Deadlock` (when, the
transactions with their thread, statement, the locks they hold and the lock each waits for, and which
one InnoDB rolled back) or ``None`` when the server has seen no deadlock since it started.

The section differs by server:

- MySQL 8.0.18+ prints, per transaction, ``*** (N) HOLDS THE LOCK(S):`` and
  ``*** (N) WAITING FOR THIS LOCK TO BE GRANTED:``; 5.7 prints the held locks for the last one only;
- MariaDB prints ``*** WAITING FOR THIS LOCK TO BE GRANTED:`` then ``*** CONFLICTING WITH:`` (the locks
  of *other* transactions that block the request) and no held-locks list: what a transaction holds is
  then read from the others' ``CONFLICTING WITH`` locks that carry its ``trx id``
  (``Lock.source == "conflicting with"``).

Lock modes are given as ``performance_schema.data_locks`` spells them (``X,REC_NOT_GAP``,
``X,GAP,INSERT_INTENTION``, ``IX``) next to the text InnoDB printed (``mode_text``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["Deadlock", "DeadlockTransaction", "Lock", "RecordField", "latest_deadlock"]


@dataclass(frozen=True)
class RecordField:
    """One field of a locked index record as InnoDB dumps it (``0: len 4; hex 80000001; asc     ;;``)."""

    number: int
    length: int | None  # None for SQL NULL
    hex: str | None
    asc: str | None
    total_bytes: int | None = None  # the field's full length when the dump was cut short

    @property
    def is_null(self) -> bool:
        return self.hex is None

    def value(self) -> int | str | None:
        """Best-effort decoding: InnoDB stores signed integers big-endian with the sign bit flipped
        (``80000001`` is 1); text columns show readable in ``asc``."""
        if self.hex is None:
            return None
        if self.asc is not None and self.asc.strip() and self.asc.isprintable() and len(self.asc) == self.length:
            return self.asc
        if self.length in (1, 2, 3, 4, 8) and self.hex:
            raw = int(self.hex, 16)
            bits = self.length * 8
            return raw - (1 << (bits - 1))
        return self.asc


@dataclass(frozen=True)
class Lock:
    """A lock line of the deadlock section (``RECORD LOCKS ...`` or ``TABLE LOCK ...``)."""

    lock_type: str  # "RECORD" | "TABLE"
    schema: str | None
    table: str | None
    index: str | None
    mode: str  # data_locks style: "X,REC_NOT_GAP", "S", "X,GAP,INSERT_INTENTION", "IX"
    mode_text: str  # as printed: "lock_mode X locks rec but not gap"
    waiting: bool
    trx_id: str | None
    space_id: int | None = None
    page_no: int | None = None
    heap_no: int | None = None  # the first record's heap number
    fields: tuple[RecordField, ...] = ()  # the first record's fields
    source: str = ""  # the section it was read from: "holds the lock(s)", "waiting for", "conflicting with"

    @property
    def supremum(self) -> bool:
        """The lock is on the supremum pseudo-record (the gap after the last record of the page)."""
        return bool(self.fields) and self.fields[0].asc == "supremum"

    @property
    def record(self) -> str | None:
        """The locked record in one short phrase: ``supremum pseudo-record`` or the first field (the
        primary key of a PRIMARY lock, the first key column of a secondary index)."""
        if self.supremum:
            return "supremum pseudo-record"
        if not self.fields:
            return None
        value = self.fields[0].value()
        return None if value is None else str(value)

    @property
    def qualified_table(self) -> str | None:
        if self.table is None:
            return None
        return f"`{self.schema}`.`{self.table}`" if self.schema else f"`{self.table}`"


@dataclass
class DeadlockTransaction:
    number: int  # the (N) InnoDB numbers it with
    trx_id: str | None = None
    active_seconds: int | None = None
    state: str | None = None  # "starting index read", "inserting", ...
    thread_id: int | None = None  # the connection id (PROCESSLIST ID) of its session
    os_thread_handle: str | None = None
    query_id: int | None = None
    client: str | None = None  # host and user as printed ("localhost u2")
    query: str | None = None
    tables_in_use: int | None = None
    tables_locked: int | None = None
    lock_structs: int | None = None
    row_locks: int | None = None
    undo_log_entries: int | None = None
    holds: list[Lock] = field(default_factory=list)
    waits_for: Lock | None = None
    conflicting_with: list[Lock] = field(default_factory=list)  # MariaDB: the locks blocking waits_for


@dataclass
class Deadlock:
    detected_at: str | None  # "2022-11-25 15:58:22" (server time)
    thread: str | None  # the detecting thread as printed (id or 0x... handle)
    transactions: list[DeadlockTransaction]
    rolled_back: int | None  # the (N) of "WE ROLL BACK TRANSACTION (N)"
    flavor: str  # "mysql" | "mariadb"
    notes: list[str] = field(default_factory=list)

    @property
    def victim(self) -> DeadlockTransaction | None:
        for trx in self.transactions:
            if trx.number == self.rolled_back:
                return trx
        return None

    def transaction(self, number: int) -> DeadlockTransaction | None:
        for trx in self.transactions:
            if trx.number == number:
                return trx
        return None


_SECTION = re.compile(r"^-+\n(?P<name>[A-Z][A-Z /]+)\n-+$", re.MULTILINE)
_WHEN = re.compile(r"^(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?: (?P<thread>\S+))?")
_TRX_HEAD = re.compile(r"^\*\*\* \((?P<n>\d+)\) TRANSACTION:")
_TRX = re.compile(r"^TRANSACTION (?P<id>\S+?),(?: ACTIVE (?:\(PREPARED\) )?(?P<secs>\d+) sec)?\s*(?P<state>.*)$")
_TABLES = re.compile(r"^mysql tables in use (?P<use>\d+), locked (?P<locked>\d+)")
_STRUCTS = re.compile(r"(?P<structs>\d+) lock struct\(s\), heap size \d+, (?P<rows>\d+) row lock\(s\)"
                      r"(?:, undo log entries (?P<undo>\d+))?")
_THREAD = re.compile(r"^(?:MySQL|MariaDB) thread id (?P<tid>\d+), OS thread handle (?P<os>\S+), "
                     r"query id (?P<qid>\d+)\s*(?P<rest>.*)$")
_MARKER = re.compile(r"^\*\*\* (?:\((?P<n>\d+)\) )?(?P<what>HOLDS THE LOCK\(S\)|WAITING FOR THIS LOCK TO BE GRANTED|"
                     r"CONFLICTING WITH):")
_ROLLBACK = re.compile(r"^\*\*\* WE ROLL BACK TRANSACTION \((?P<n>\d+)\)")
_RECORD_LOCK = re.compile(r"^RECORD LOCKS space id (?P<space>\d+) page no (?P<page>\d+) n bits \d+ "
                          r"index (?P<index>.+?) of table (?P<table>`(?:[^`]|``)+`(?:\.`(?:[^`]|``)+`)?)"
                          r"(?: /\* Partition (?P<part>.+?) \*/)?"
                          r"(?: trx id (?P<trx>\S+))? (?P<mode>lock[ _]mode .*)$")
_TABLE_LOCK = re.compile(r"^TABLE LOCK table (?P<table>`(?:[^`]|``)+`(?:\.`(?:[^`]|``)+`)?)"
                         r"(?: /\* Partition (?P<part>.+?) \*/)? trx id (?P<trx>\S+) (?P<mode>lock[ _]mode .*)$")
_REC_HEAD = re.compile(r"^Record lock, heap no (?P<heap>\d+)")
_FIELD = re.compile(r"^\s*(?P<n>\d+): (?:len (?P<len>\d+); hex (?P<hex>[0-9a-f]*); asc (?P<rest>.*)|SQL NULL;)$")


def latest_deadlock(status_text: str) -> Deadlock | None:
    """The ``LATEST DETECTED DEADLOCK`` section of a ``SHOW ENGINE INNODB STATUS`` text, parsed; ``None``
    when the text has no such section (no deadlock since the server started)."""
    text = (status_text or "").replace("\r\n", "\n")
    sections = list(_SECTION.finditer(text))
    body = None
    for i, m in enumerate(sections):
        if m.group("name").strip() == "LATEST DETECTED DEADLOCK":
            end = sections[i + 1].start() if i + 1 < len(sections) else len(text)
            body = text[m.end():end]
            break
    if body is None:
        return None
    flavor = "mariadb" if "MariaDB thread id" in body or "*** CONFLICTING WITH:" in body else "mysql"
    lines = body.split("\n")
    # the manual and some clients wrap "... of table `t`" / "trx id N lock_mode X" over two lines
    joined: list[str] = []
    for line in lines:
        if joined and line.startswith("trx id ") and joined[-1].startswith(("RECORD LOCKS", "TABLE LOCK")):
            joined[-1] += " " + line
        else:
            joined.append(line)
    lines = joined

    deadlock = Deadlock(detected_at=None, thread=None, transactions=[], rolled_back=None, flavor=flavor)
    trx: DeadlockTransaction | None = None
    where: str | None = None  # the marker the following locks belong to
    query_lines: list[str] | None = None
    lock: dict | None = None

    def close_lock() -> None:
        nonlocal lock
        if lock is None:
            return
        lock.pop("more_records", None)
        lock["fields"] = tuple(lock["fields"])
        made = Lock(**lock)
        lock = None
        if trx is None:
            return
        if where == "HOLDS THE LOCK(S)":
            trx.holds.append(made)
        elif where == "WAITING FOR THIS LOCK TO BE GRANTED":
            trx.waits_for = made
        elif where == "CONFLICTING WITH":
            trx.conflicting_with.append(made)

    def close_query() -> None:
        nonlocal query_lines
        if trx is not None and query_lines is not None:
            while query_lines and not query_lines[-1].strip():
                query_lines.pop()
            trx.query = "\n".join(query_lines) or None
        query_lines = None

    for line in lines:
        if deadlock.detected_at is None and trx is None:
            m = _WHEN.match(line.strip())
            if m:
                deadlock.detected_at, deadlock.thread = m.group("ts"), m.group("thread")
                continue
        m = _TRX_HEAD.match(line)
        if m:
            close_lock()
            close_query()
            trx = DeadlockTransaction(number=int(m.group("n")))
            deadlock.transactions.append(trx)
            where = None
            continue
        m = _ROLLBACK.match(line)
        if m:
            close_lock()
            close_query()
            deadlock.rolled_back = int(m.group("n"))
            continue
        if line.startswith("*** TOO DEEP OR LONG SEARCH"):
            close_lock()
            close_query()
            deadlock.notes.append(line.strip("* ").strip())
            continue
        m = _MARKER.match(line)
        if m:
            close_lock()
            close_query()
            if m.group("n"):
                trx = deadlock.transaction(int(m.group("n"))) or trx
            where = m.group("what")
            continue
        if trx is None:
            continue
        if query_lines is not None:
            query_lines.append(line)
            continue
        if where is None:  # the transaction's header lines
            m = _TRX.match(line)
            if m and trx.trx_id is None:
                trx.trx_id = m.group("id")
                trx.active_seconds = int(m.group("secs")) if m.group("secs") else None
                trx.state = m.group("state").strip() or None
                continue
            m = _TABLES.match(line)
            if m:
                trx.tables_in_use, trx.tables_locked = int(m.group("use")), int(m.group("locked"))
                continue
            m = _STRUCTS.search(line)
            if m and ("lock struct" in line):
                trx.lock_structs, trx.row_locks = int(m.group("structs")), int(m.group("rows"))
                trx.undo_log_entries = int(m.group("undo")) if m.group("undo") else None
                continue
            m = _THREAD.match(line)
            if m:
                trx.thread_id, trx.os_thread_handle = int(m.group("tid")), m.group("os")
                trx.query_id = int(m.group("qid"))
                trx.client = m.group("rest").strip() or None
                query_lines = []  # the statement follows, possibly over several lines
                continue
            continue
        m = _RECORD_LOCK.match(line) or _TABLE_LOCK.match(line)
        if m:
            close_lock()
            lock = _lock_fields(m, "RECORD" if line.startswith("RECORD") else "TABLE", where)
            continue
        if lock is not None:
            m = _REC_HEAD.match(line)
            if m:
                if lock["heap_no"] is None:
                    lock["heap_no"] = int(m.group("heap"))
                    lock["fields"] = []
                else:
                    lock["more_records"] = True
                continue
            m = _FIELD.match(line)
            if m and not lock.get("more_records") and isinstance(lock["fields"], list):
                lock["fields"].append(_record_field(m))
                continue
    close_lock()
    close_query()
    if flavor == "mariadb":
        for trx in deadlock.transactions:
            if trx.holds or trx.trx_id is None:
                continue
            for other in deadlock.transactions:
                if other is not trx:
                    trx.holds.extend(x for x in other.conflicting_with if x.trx_id == trx.trx_id)
    if deadlock.rolled_back is not None and deadlock.victim is None and deadlock.transactions:
        deadlock.notes.append(f"WE ROLL BACK TRANSACTION ({deadlock.rolled_back}) names no transaction of the "
                              "section (MariaDB 10.7.3 numbered the victim from 0: MDEV-29187)")
    return deadlock


def _lock_fields(m: re.Match, lock_type: str, where: str | None) -> dict:
    schema, table = _split_table(m.group("table"))
    mode_text = m.group("mode").strip()
    return {
        "lock_type": lock_type, "schema": schema, "table": table,
        "index": m.group("index").strip("`") if lock_type == "RECORD" else None,
        "mode": _mode(mode_text), "mode_text": mode_text, "waiting": mode_text.endswith(" waiting"),
        "trx_id": m.group("trx"),
        "space_id": int(m.group("space")) if lock_type == "RECORD" else None,
        "page_no": int(m.group("page")) if lock_type == "RECORD" else None,
        "heap_no": None, "fields": (),
        "source": {"HOLDS THE LOCK(S)": "holds the lock(s)", "WAITING FOR THIS LOCK TO BE GRANTED": "waiting for",
                   "CONFLICTING WITH": "conflicting with"}.get(where or "", ""),
    }


def _split_table(quoted: str) -> tuple[str | None, str | None]:
    parts = re.findall(r"`((?:[^`]|``)+)`", quoted)
    parts = [p.replace("``", "`") for p in parts]
    if len(parts) >= 2:
        return parts[0], parts[1]
    return None, parts[0] if parts else quoted


def _mode(text: str) -> str:
    """``lock_mode X locks rec but not gap waiting`` -> ``X,REC_NOT_GAP`` (performance_schema.data_locks)."""
    m = re.match(r"lock[ _]mode (\S+)", text)
    base = m.group(1) if m else text
    flags = []
    if "locks rec but not gap" in text:
        flags.append("REC_NOT_GAP")
    if "locks gap before rec" in text:
        flags.append("GAP")
    if "insert intention" in text:
        flags.append("INSERT_INTENTION")
    return ",".join([base, *flags])


def _record_field(m: re.Match) -> RecordField:
    number = int(m.group("n"))
    if m.group("len") is None:
        return RecordField(number=number, length=None, hex=None, asc=None)
    rest = m.group("rest")
    total = re.search(r"; \(total (\d+) bytes\);$", rest)
    if total:
        asc = rest[:total.start()]
    elif rest.endswith(";;"):
        asc = rest[:-2]
    else:
        asc = rest.rstrip(";")
    return RecordField(number=number, length=int(m.group("len")), hex=m.group("hex"), asc=asc,
                       total_bytes=int(total.group(1)) if total else None)
