"""At most N targets at a time, each in its own thread with its own connection.

Threads, not processes: a target's run is mostly waiting on its server (drivers release the GIL),
and a report object need not be pickled. The threads are daemons on purpose: on Ctrl-C the main
thread stops waiting and the process exits at once, instead of joining threads blocked in a
connect or a query for up to their timeouts (``concurrent.futures`` joins its workers at exit).
Every session is read-only, so abandoning one in the middle loses nothing.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")
POLL_S = 0.2  # how often the waiting main thread wakes: Ctrl-C is seen within this


def run_bounded(items: Sequence[T], work: Callable[[T], R], jobs: int,
                on_done: Callable[[int, R | BaseException], None] | None = None) -> list[R | BaseException]:
    """``work(item)`` for every item, at most ``jobs`` at once; results in the items' order.

    An exception from ``work`` becomes that item's result (the others go on). ``on_done(i, result)``
    runs in the calling thread as each finishes, so what it prints never interleaves. A
    KeyboardInterrupt in the calling thread stops handing out items and propagates at once.
    """
    todo: queue.Queue[tuple[int, T]] = queue.Queue()
    for pair in enumerate(items):
        todo.put(pair)
    done: queue.Queue[tuple[int, Any]] = queue.Queue()
    stop = threading.Event()

    def worker() -> None:
        while not stop.is_set():
            try:
                i, item = todo.get_nowait()
            except queue.Empty:
                return
            try:
                result: Any = work(item)
            except Exception as exc:  # one target's bug must not take the fleet down
                result = exc
            done.put((i, result))

    for k in range(max(1, min(jobs, len(items)))):
        threading.Thread(target=worker, name=f"dbxray-target-{k}", daemon=True).start()
    results: list[Any] = [None] * len(items)
    try:
        for _ in range(len(items)):
            while True:
                try:
                    i, result = done.get(timeout=POLL_S)
                    break
                except queue.Empty:
                    continue
            results[i] = result
            if on_done is not None:
                on_done(i, result)
    except BaseException:
        stop.set()
        raise
    return results
