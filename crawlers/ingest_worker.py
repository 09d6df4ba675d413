"""The crawl's analysing and storing stage, in a child process of the crawl.

Scrapy runs everything on one reactor thread, and analysis and storage are pure Python: in-process they
take three quarters of a crawl's time and leave the second core idle. Here they run in one spawned child
process (``concurrent.futures.ProcessPoolExecutor`` with one worker) that receives batches of normalised
items and returns one ``tracker.ingest.IngestResult`` per item (and the time spent analysing and storing), while the reactor goes on downloading and
parsing. ``inline=True`` runs the same calls in the crawl process (``YUQING_INGEST_INLINE``), for
debugging or where a child process cannot be started.

The child dies with the crawl: it checks every second that its parent is still the process that started
it (a crawl killed with SIGKILL cannot tell it to stop), so no orphan keeps a database connection open.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from tracker.ingest import IngestResult

log = logging.getLogger(__name__)

#: a batch's results, one per item in order, and the seconds it took to analyse and to store
Stored = tuple[list[IngestResult], dict[str, float]]
#: a worker that died (killed by the OOM killer, a crash in a C extension) is replaced this many times
#: per crawl; after that the crawl's remaining posts fail and are fetched again by the next crawl
RESTARTS = 3


class IngestWorker:
    """Stores batches of items through ``tracker.ingest.store_posts``, in a child process or inline."""

    def __init__(self, inline: bool = False, log_file: str | None = None, log_level: str = "INFO") -> None:
        self.inline = inline
        self.log_file = log_file
        self.log_level = log_level
        self.restarts = 0
        self._pool: ProcessPoolExecutor | None = None
        self._warm: Future[int] | None = None

    def start(self) -> None:
        """Start the child now, so that it loads the model while the crawl fetches its first pages."""
        if not self.inline and self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=1,
                # spawn, not fork: forking a process that runs a reactor and threads is unsafe
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_child,
                initargs=(os.getpid(), self.log_file, self.log_level),
            )
            self._warm = self._pool.submit(_warm_up)

    def child_pid(self, timeout: float = 60.0) -> int:
        """The process that stores (this one when inline), once it has loaded what it needs."""
        if self.inline:
            return os.getpid()
        self.start()
        assert self._warm is not None
        return self._warm.result(timeout)

    def submit(self, batch: Sequence[Mapping[str, Any]]) -> Future[Stored]:
        if self.inline:
            return _done(batch)
        self.start()
        assert self._pool is not None
        try:
            return self._pool.submit(_store, list(batch))
        except BrokenProcessPool:
            if self.restarts >= RESTARTS:
                raise
            self.restarts += 1
            log.error("入库子进程意外退出，第 %d 次重启", self.restarts)
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
            return self.submit(batch)

    def shutdown(self) -> None:
        """Wait for the child to finish what it was given and exit."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None


def _done(batch: Sequence[Mapping[str, Any]]) -> Future[Stored]:
    future: Future[Stored] = Future()
    try:
        future.set_result(_store(list(batch)))
    except Exception as exc:  # the caller handles a failed batch the same way in both modes
        future.set_exception(exc)
    return future


def _store(batch: list[Mapping[str, Any]]) -> Stored:
    from tracker.ingest import store_posts

    timings: dict[str, float] = {}
    return store_posts(batch, timings), timings


def _warm_up() -> int:
    """Load the configuration, the database engine, jieba and the sentiment model."""
    from analysis import analyze
    from tracker.ingest import current_app

    current_app()
    analyze(["预热"])
    return os.getpid()


# ---- in the child --------------------------------------------------------------------------------------
def _init_child(parent: int, log_file: str | None, log_level: str) -> None:
    handler: logging.Handler = (
        logging.FileHandler(log_file, encoding="utf-8") if log_file else logging.StreamHandler()
    )
    handler.setFormatter(logging.Formatter("%(asctime)s [%(name)s] %(levelname)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(log_level)
    threading.Thread(target=_exit_with_parent, args=(parent,), name="父进程监视", daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            # The crawl is gone: whatever batch is unfinished rolls back with this process.
            os._exit(1)
