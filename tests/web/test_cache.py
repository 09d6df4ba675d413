"""The dashboard's shared cache: expiry, a user's own writes seen at once, one computation at a time."""

from __future__ import annotations

import threading
import time

import pytest
from flask import g

from tests.web.conftest import Env
from tracker.web.cache import PageCache
from tracker.web.context import db, write


def test_expiry_and_own_writes() -> None:
    clock = [0.0]
    cache = PageCache(timer=lambda: clock[0])
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert cache.get_or("k", 10, compute, reader="duty") == 1
    clock[0] = 9.9
    assert cache.get_or("k", 10, compute, reader="duty") == 1
    clock[0] = 10.1
    assert cache.get_or("k", 10, compute, reader="duty") == 2
    clock[0] = 11.0
    cache.note_write("duty")  # duty confirms a grade
    clock[0] = 11.5
    assert cache.get_or("k", 10, compute, reader="reviewer") == 2  # others: within the time to live
    assert cache.get_or("k", 10, compute, reader="duty") == 3  # the writer: afresh
    assert cache.get_or("k", 10, compute, reader="reviewer") == 3  # and the fresh value is shared
    assert cache.get_or("k", 10, compute, reader="duty") == 3
    assert cache.get_or("other", 10, compute) == 4


def test_one_computation_for_concurrent_misses() -> None:
    cache = PageCache()
    started, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def slow() -> str:
        calls.append(1)
        started.set()
        release.wait(5)
        return "value"

    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(cache.get_or("k", 10, slow))) for _ in range(6)]
    threads[0].start()
    started.wait(5)
    for t in threads[1:]:
        t.start()
    time.sleep(0.05)
    release.set()
    for t in threads:
        t.join(5)
    assert results == ["value"] * 6 and len(calls) == 1


def test_stale_value_served_while_refreshing() -> None:
    clock = [0.0]
    cache = PageCache(timer=lambda: clock[0])
    assert cache.get_or("k", 1, lambda: "old") == "old"
    clock[0] = 5.0
    inside, release = threading.Event(), threading.Event()

    def refresh() -> str:
        inside.set()
        release.wait(5)
        return "new"

    leader = threading.Thread(target=lambda: cache.get_or("k", 1, refresh))
    leader.start()
    inside.wait(5)
    assert cache.get_or("k", 1, lambda: "unexpected") == "old"  # no wait, previous value
    release.set()
    leader.join(5)
    assert cache.get_or("k", 100, lambda: "unexpected") == "new"


def test_a_writer_never_gets_a_value_computed_before_their_write() -> None:
    clock = [0.0]
    cache = PageCache(timer=lambda: clock[0])
    inside, release = threading.Event(), threading.Event()

    def slow_before_write() -> str:
        inside.set()
        release.wait(5)
        return "before-write"

    other = threading.Thread(target=lambda: cache.get_or("k", 10, slow_before_write, reader="reviewer"))
    other.start()
    inside.wait(5)
    clock[0] = 1.0
    cache.note_write("duty")  # lands while the old figures are being computed
    clock[0] = 2.0
    # duty does not join the computation that began before the write, nor take its result
    assert cache.get_or("k", 10, lambda: "after-write", reader="duty") == "after-write"
    release.set()
    other.join(5)
    # the older result does not replace the newer one
    assert cache.get_or("k", 10, lambda: "unexpected", reader="duty") == "after-write"
    assert cache.get_or("k", 10, lambda: "unexpected", reader="reviewer") == "after-write"


def test_page_views_read_without_the_write_lock(env: Env) -> None:
    """GET requests get a read-only (deferred) session, so on SQLite a page view never queues behind a
    crawl's batch for the write lock; a write from a GET is refused as the programming error it is."""
    with env.flask.test_request_context("/", method="GET"):
        db()
        assert g.db_read_only
        with pytest.raises(RuntimeError, match="GET 请求不能写入数据库"), write():
            pass
    with env.flask.test_request_context("/", method="POST"):
        db()
        assert not g.db_read_only
