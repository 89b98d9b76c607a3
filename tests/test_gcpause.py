"""The garbage collector is paused while a report is built and given back as it was found."""

from __future__ import annotations

import gc
import threading

from dbxray import gcpause


def test_paused_restores_an_enabled_collector():
    assert gc.isenabled()
    with gcpause.paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_the_caller_disabled_stays_disabled():
    gc.disable()
    try:
        with gcpause.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_overlapping_reports_keep_it_paused_until_the_last_ends():
    first_in, release = threading.Event(), threading.Event()
    seen = []

    def first():
        with gcpause.paused():
            first_in.set()
            release.wait(5)
        seen.append(gc.isenabled())

    worker = threading.Thread(target=first)
    worker.start()
    first_in.wait(5)
    with gcpause.paused():
        pass
    assert not gc.isenabled(), "the second report's end must not resume collection under the first"
    release.set()
    worker.join(5)
    assert seen == [True] and gc.isenabled()


def test_an_error_inside_still_restores():
    try:
        with gcpause.paused():
            raise ValueError("boom")
    except ValueError:
        pass
    assert gc.isenabled()
