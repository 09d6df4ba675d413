"""Item pipelines, in order: normalise → dedupe → analyse → hand over to ``tracker.ingest``."""

from __future__ import annotations

import hashlib
import logging
import re
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawlers.canonical import canonical_url
from crawlers.health import STAT_DUPLICATE, STAT_NEW, STAT_UNREADABLE_TIME
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
    """Same URL or site id twice in one crawl, or already stored: dropped before analysis."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.seen: set[str] = set()

    def process_item(self, item: Any) -> Any:
        from tracker.ingest import known_urls, store_reply

        keys = {item["url"]} | ({f"id:{item['external_id']}"} if item.get("external_id") else set())
        if keys & self.seen or known_urls(str(item["source"]), [item["url"]]):
            self.inc(STAT_DUPLICATE)
            if item.get("reply_text") and item.get("reply_at") and store_reply(dict(item)):
                self.inc("yuqing/replies_logged")
                raise DropItem(f"已存储的留言，补登官方答复：{item['url']}")
            raise DropItem(f"重复：{item['url']}")
        self.seen |= keys
        return item


class AnalyzePipeline(_Base):
    def process_item(self, item: Any) -> Any:
        from analysis import analyze

        item["analysis"] = analyze([f"{item['title']}\n{item['text']}"])[0]
        return item


class IngestPipeline(_Base):
    def process_item(self, item: Any) -> Any:
        from tracker.ingest import store_post

        result = store_post(dict(item))
        self.inc(STAT_NEW if result.status == "new" else STAT_DUPLICATE)
        if result.status == "new":
            log.info("新帖子 #%s → 事件 #%s：%s", result.post_id, result.incident_id, item["title"][:40])
        return item
