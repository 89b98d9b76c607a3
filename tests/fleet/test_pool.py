"""The bounded pool: never more than --jobs at once, results in the targets' order, a crash is one
target's result, and the caller's callback runs in the caller's thread."""

from __future__ import annotations

import threading
import time

import pytest

from dbxray.fleet.pool import run_bounded


@pytest.mark.parametrize("jobs", [1, 3, 8])
def test_never_more_than_jobs_at_once_and_results_keep_their_order(jobs):
    running = 0
    peak = 0
    lock = threading.Lock()

    def work(n: int) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.02 * (n % 3 + 1))  # finish out of order
        with lock:
            running -= 1
        return n * n

    seen: list[tuple[int, int, str]] = []
    items = list(range(10))
    results = run_bounded(items, work, jobs, lambda i, r: seen.append((i, r, threading.current_thread().name)))
    assert results == [n * n for n in items]
    assert peak == min(jobs, len(items))
    assert sorted(i for i, _, _ in seen) == items
    assert {name for _, _, name in seen} == {threading.current_thread().name}


def test_an_exception_is_that_items_result_and_the_others_run():
    def work(n: int) -> int:
        if n == 2:
            raise RuntimeError("target 2 broke")
        return n

    results = run_bounded(range(5), work, 2)
    assert [r for r in results if not isinstance(r, Exception)] == [0, 1, 3, 4]
    assert isinstance(results[2], RuntimeError) and str(results[2]) == "target 2 broke"


def test_an_interrupt_returns_at_once_and_stops_handing_out_items():
    """Ctrl-C while targets are stuck (a connect timeout): the caller does not wait for them."""
    started: list[int] = []
    release = threading.Event()

    def work(n: int) -> int:
        started.append(n)
        if n:
            release.wait(10)  # stuck, as in a connect to a host that never answers
        return n

    def interrupt(i: int, result: int) -> None:
        raise KeyboardInterrupt

    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        run_bounded(range(20), work, 2, interrupt)
    assert time.monotonic() - t0 < 1.0
    release.set()
    time.sleep(0.2)  # the stuck workers finish their item, then take no other
    assert sorted(started) in ([0, 1], [0, 1, 2])  # item 2 only if taken before the interrupt was seen
