"""Item pipelines, in order: normalise → dedupe → analyse and hand over to ``tracker.ingest`` (in batches,
in the ingest worker process)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import Mapping
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawlers.canonical import canonical_url
from crawlers.health import STAT_DUPLICATE, STAT_NEW, STAT_UNREADABLE_TIME, record_item_error
from crawlers.timeparse import parse_time

log = logging.getLogger(__name__)
_ZERO_WIDTH = re.compile("[\u200b-\u200f\u2060\ufeff\u00ad]")
_SPACES = re.compile(r"[ \t\u3000\xa0]+")
_FULLWIDTH_ALNUM = {c: c - 0xFEE0 for c in range(0xFF10, 0xFF5B) if chr(c).isalnum()}


def clean(text: Any) -> str:
    """Whitespace and width normalised; Chinese punctuation kept (it is what readers expect to see)."""
    if text is None:
        return ""
    s = _ZERO_WIDTH.sub("", str(text)).translate(_FULLWIDTH_ALNUM)
    lines = (_SPACES.sub(" ", line).strip() for line in s.replace("\r", "\n").split("\n"))
    return "\n".join(line for line in lines if line)


class _Base:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        return cls(crawler)

    def inc(self, key: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(key)


class NormalizePipeline(_Base):
    def process_item(self, item: Any) -> Any:
        from tracker.ingest import author_hash

        item["title"] = clean(item.get("title"))
        item["text"] = clean(item.get("text"))
        if not item["title"] and not item["text"]:
            self.inc("yuqing/empty")
            raise DropItem(f"空内容：{item.get('url')}")
        item["url"] = canonical_url(str(item["url"]))
        fetched = item["fetched_at"]
        item["published_at"] = parse_time(item.get("published_raw"), fetched)
        if item.get("published_raw") and item["published_at"] is None:
            log.warning(
                "无法识别发布时间 %r（%s），保留帖子、发布时间留空", item.get("published_raw"), item["url"]
            )
            self.inc(STAT_UNREADABLE_TIME)
        if item.get("reply_text"):
            item["reply_text"] = clean(item["reply_text"])
            item["reply_unit"] = clean(item.get("reply_unit"))
            item["reply_at"] = parse_time(item.get("reply_raw_time"), fetched)
        item["author_hash"] = author_hash(item.get("author"))
        item["author"] = None  # the raw handle never leaves the crawler process
        body = f"{item['title']}\n{item['text']}"
        item["content_hash"] = hashlib.sha256(body.encode("utf-8")).hexdigest()
        return item


class DedupePipeline(_Base):
    """The same URL or site id twice in one crawl: dropped here, before it costs analysis. Posts stored by
    earlier crawls are recognised by the storing stage, in one query per batch (spiders already skip
    stored detail pages before requesting them)."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.seen: set[str] = set()

    def process_item(self, item: Any) -> Any:
        keys = {item["url"]} | ({f"id:{item['external_id']}"} if item.get("external_id") else set())
        if keys & self.seen:
            self.inc(STAT_DUPLICATE)
            raise DropItem(f"重复：{item['url']}")
        self.seen |= keys
        return item


class IngestPipeline(_Base):
    """Analyse and store, in batches, in the ingest worker process (``crawlers.ingest_worker``).

    An item is handed over and passed on at once; the reactor goes on downloading while the worker
    analyses and stores. Batches form by themselves: while the worker stores one batch, the items that
    arrive wait for the next (up to ``YUQING_INGEST_BATCH``), so a slow crawl stores each post at once
    and a fast one stores many per transaction. When ``YUQING_INGEST_MAX_PENDING`` items are waiting,
    the crawl waits for the worker. At close, everything handed over is stored before the crawl's health
    is reported. Settings: ``YUQING_INGEST_INLINE`` (no child process), ``YUQING_INGEST_BATCH`` (100),
    ``YUQING_INGEST_MAX_PENDING`` (500)."""

    def __init__(self, crawler: Crawler) -> None:
        from crawlers.ingest_worker import IngestWorker

        super().__init__(crawler)
        settings = crawler.settings
        self.batch_size = max(1, settings.getint("YUQING_INGEST_BATCH", 100))
        self.max_pending = max(self.batch_size, settings.getint("YUQING_INGEST_MAX_PENDING", 500))
        self.worker = IngestWorker(
            inline=settings.getbool("YUQING_INGEST_INLINE", False),
            log_file=settings.get("LOG_FILE"),
            log_level=str(settings.get("LOG_LEVEL", "INFO")),
        )
        self.buffer: list[dict[str, Any]] = []
        self.storing: asyncio.Task[None] | None = None
        self.room = asyncio.Event()

    def open_spider(self, spider: Any = None) -> None:
        self.worker.start()

    async def process_item(self, item: Any) -> Any:
        self.hand_over(item)
        while len(self.buffer) >= self.max_pending:  # the worker is behind: the crawl waits
            self.room.clear()
            await self.room.wait()
        return item

    def hand_over(self, item: Any) -> None:
        self.buffer.append(dict(item))
        self._next_batch()

    async def close_spider(self, spider: Any = None) -> None:
        while self.storing is not None:
            await self.storing
        await asyncio.to_thread(self.worker.shutdown)

    def _next_batch(self) -> None:
        if self.storing is None and self.buffer:
            batch = self.buffer[: self.batch_size]
            del self.buffer[: self.batch_size]
            self.storing = asyncio.ensure_future(self._store(batch))

    async def _store(self, batch: list[dict[str, Any]]) -> None:
        from tracker.ingest import IngestResult

        try:
            results, timings = await asyncio.wrap_future(self.worker.submit(batch))
        except Exception as exc:  # the database or the worker failed: none of the batch is stored
            log.error("%d 条帖子入库失败（下次抓取将重新获取）：%s: %s", len(batch), type(exc).__name__, exc)
            results = [IngestResult("error", error=f"{type(exc).__name__}: {exc}")] * len(batch)
            timings = {}
        try:
            assert self.crawler.stats is not None
            for stage, seconds in timings.items():  # where the time goes, in the crawl's stats
                key = f"yuqing/{stage}_seconds"
                self.crawler.stats.set_value(key, self.crawler.stats.get_value(key, 0.0) + seconds)
            for item, result in zip(batch, results, strict=True):
                self._count(item, result)
        finally:
            self.storing = None
            self._next_batch()
            if len(self.buffer) < self.max_pending:
                self.room.set()

    def _count(self, item: Mapping[str, Any], result: Any) -> None:
        assert self.crawler.stats is not None
        if result.status == "new":
            self.inc(STAT_NEW)
            log.info("新帖子 #%s → 事件 #%s：%s", result.post_id, result.incident_id, item["title"][:40])
        elif result.status == "error":
            record_item_error(self.crawler.stats, f"{item.get('url')}：{result.error}")
        else:
            self.inc(STAT_DUPLICATE)
            if result.status == "reply":
                self.inc("yuqing/replies_logged")
