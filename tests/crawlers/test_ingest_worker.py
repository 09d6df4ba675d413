"""The crawl's storing stage: ``IngestPipeline`` hands items to the ingest worker process in batches that
form by themselves, waits for room when the worker falls behind, stores everything before the crawl
reports its health, and counts posts that could not be stored. The worker process dies with its crawl
and is replaced when it dies alone."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from scrapy.utils.test import get_crawler
from sqlalchemy import func, select

from crawlers.health import STAT_DUPLICATE, STAT_FAILED, STAT_ITEM_ERROR, STAT_NEW
from crawlers.ingest_worker import IngestWorker
from crawlers.pipelines import IngestPipeline
from tests.conftest import T0, make_app
from tracker import ingest
from tracker.app import App
from tracker.db import transaction
from tracker.models import Post

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[App]:
    """A migrated SQLite database whose config the worker process finds through YUQING_CONFIG."""
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'yuqing.db'}")
    monkeypatch.setenv("YUQING_CONFIG", str(tmp_path / "yuqing.toml"))
    monkeypatch.setenv("YUQING_FROZEN_NOW", T0.isoformat())
    ingest.configure(app)
    yield app
    ingest.configure(None)
    app.engine.dispose()


def _item(n: int, source: str = "新闻") -> dict[str, Any]:
    """An item as the normalise and dedupe pipelines hand it on (not analysed yet)."""
    return {
        "source": source,
        "url": f"http://127.0.0.1/news/{n}.html",
        "external_id": None,
        "title": f"建设路第{n}段积水严重",
        "text": f"市民反映建设路第{n}段暴雨后积水超过三十厘米，车辆无法通行，希望尽快疏通排水管网。",
        "published_at": T0 - timedelta(minutes=n),
        "fetched_at": T0,
        "author_hash": None,
        "content_hash": f"h{n}",
    }


def _posts(app: App) -> int:
    with transaction(app.sessions) as session:
        return int(session.scalar(select(func.count()).select_from(Post)) or 0)


@pytest.mark.parametrize("inline", [False, True], ids=["worker-process", "inline"])
def test_pipeline_stores_everything_in_batches_before_close(configured: App, inline: bool) -> None:
    crawler = get_crawler(
        settings_dict={
            "YUQING_INGEST_INLINE": inline,
            "YUQING_INGEST_BATCH": 4,
            "YUQING_INGEST_MAX_PENDING": 8,
        }
    )
    pipeline = IngestPipeline(crawler)
    batches: list[int] = []
    submit = pipeline.worker.submit

    def counting(batch: Any) -> Any:
        batches.append(len(batch))
        return submit(batch)

    pipeline.worker.submit = counting  # type: ignore[method-assign]
    items = [_item(n) for n in range(30)] + [_item(3), _item(99, source="没有这个来源")]
    waiting: list[int] = []

    async def crawl() -> None:
        pipeline.open_spider()
        for it in items:
            assert await pipeline.process_item(it) is it  # passed on unchanged
            waiting.append(len(pipeline.buffer))
        await pipeline.close_spider()

    asyncio.run(crawl())
    stats = crawler.stats
    assert stats is not None
    assert stats.get_value(STAT_NEW) == 30
    assert stats.get_value(STAT_DUPLICATE) == 1
    assert stats.get_value(STAT_FAILED) == 1 and "没有这个来源" in str(stats.get_value(STAT_ITEM_ERROR))
    assert stats.get_value("yuqing/store_seconds") > 0 and stats.get_value("yuqing/analyse_seconds") > 0
    assert _posts(configured) == 30
    assert sum(batches) == len(items) and max(batches) <= 4
    assert max(waiting) < 8  # the crawl waited for room instead of queueing without bound
    assert (pipeline.worker.child_pid() == os.getpid()) is inline


def test_a_failed_batch_is_counted_not_lost_silently(
    configured: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    crawler = get_crawler(settings_dict={"YUQING_INGEST_INLINE": True})
    pipeline = IngestPipeline(crawler)

    def database_gone(batch: Any) -> Any:
        raise ConnectionError("数据库连接断开")

    monkeypatch.setattr("crawlers.ingest_worker._store", database_gone)

    async def crawl() -> None:
        for n in range(3):
            await pipeline.process_item(_item(n))
        await pipeline.close_spider()

    asyncio.run(crawl())
    assert crawler.stats is not None
    assert crawler.stats.get_value(STAT_FAILED) == 3
    assert "数据库连接断开" in str(crawler.stats.get_value(STAT_ITEM_ERROR))
    assert crawler.stats.get_value(STAT_NEW) is None


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state == "Z"  # exited; a container's init may not reap it at once


def test_the_worker_process_dies_with_its_crawl(configured: App) -> None:
    code = (
        "import sys, time\n"
        "from crawlers.ingest_worker import IngestWorker\n"
        "w = IngestWorker(); w.start(); print(w.child_pid(), flush=True); time.sleep(120)\n"
    )
    crawl = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert crawl.stdout is not None
        child = int(crawl.stdout.readline())
        assert not _gone(child)
        crawl.send_signal(signal.SIGKILL)  # a crawl killed outright cannot tell its worker to stop
        crawl.wait(10)
        deadline = time.monotonic() + 10
        while not _gone(child) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _gone(child), "入库子进程在抓取进程被杀后仍在运行"
    finally:
        crawl.kill()
        crawl.wait(10)


def test_a_worker_that_died_is_replaced(configured: App) -> None:
    worker = IngestWorker()
    try:
        first = worker.child_pid()
        os.kill(first, signal.SIGKILL)
        results = None
        for _ in range(20):  # the pool notices the death a moment later; a batch caught in it fails
            try:
                results, _timings = worker.submit([_item(1)]).result(60)
                break
            except BrokenProcessPool:
                time.sleep(0.1)
        assert results is not None and [r.status for r in results] == ["new"]
        assert worker.restarts == 1 and worker.child_pid() != first
        assert _posts(configured) == 1
    finally:
        worker.shutdown()
