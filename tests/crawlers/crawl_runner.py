"""Run several real crawls in one process (one Twisted reactor per process):

    python -m tests.crawlers.crawl_runner SPEC.json

SPEC: {"out": dir, "crawls": [{"kind": "msgboard", "cfg": {...source config...}, "settings": {...}}]}.
Items of each source go to <out>/<source>.jl (FEEDS), health records to $YUQING_TEST_HEALTH_FILE; the
lead's pipelines are off (ITEM_PIPELINES = {}) and nothing touches a database.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.misc import load_object

SPIDERS = {
    "feed": "crawlers.spiders.feed.FeedSpider",
    "article": "crawlers.spiders.article.ArticleSpider",
    "listing": "crawlers.spiders.listing.ListingSpider",
    "msgboard": "crawlers.spiders.msgboard.MessageBoardSpider",
    "jsonapi": "crawlers.spiders.jsonapi.JsonApiSpider",
    "weibo": "crawlers.spiders.weibo.WeiboSpider",
    "tieba": "crawlers.spiders.tieba.TiebaSpider",
}
BASE_SETTINGS: dict[str, Any] = {
    "ITEM_PIPELINES": {},
    "ROBOTSTXT_OBEY": True,
    "DOWNLOADER_MIDDLEWARES": {
        "crawlers.middlewares.PageCheckMiddleware": 540,
        "crawlers.middlewares.SourceCookieMiddleware": 650,
    },
    "EXTENSIONS": {"crawlers.health.HealthReporter": 500},
    "TELNETCONSOLE_ENABLED": False,
    "REMOTE_CONTROL_ENABLED": False,
    "RETRY_TIMES": 2,
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 4,
    "LOG_LEVEL": "INFO",
    "YUQING_FROZEN_NOW": "2026-11-20T10:00:00+08:00",
    "YUQING_HEALTH_RECORDER": "tests.crawlers.crawl_runner.record_health",
    "YUQING_KNOWN_URLS": "tests.crawlers.crawl_runner.known_urls",
    "YUQING_KNOWN_REPLIED_URLS": "tests.crawlers.crawl_runner.known_urls",
}


def record_health(
    source: str, ok: bool, error_kind: str | None, message: str | None, counts: Mapping[str, int]
) -> None:
    """Stands in for tracker.ingest.record_health: one JSON line per crawl."""
    record = {
        "source": source,
        "ok": ok,
        "error_kind": error_kind,
        "message": message,
        "counts": dict(counts),
    }
    with open(os.environ["YUQING_TEST_HEALTH_FILE"], "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def known_urls(source: str, urls: Iterable[str]) -> set[str]:
    """Stands in for tracker.ingest.known_urls: URLs listed in $YUQING_TEST_KNOWN are "stored"."""
    stored = set(json.loads(os.environ.get("YUQING_TEST_KNOWN", "[]")))
    return {url for url in urls if url in stored}


def main(argv: list[str]) -> int:
    spec = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    out = Path(spec["out"])
    process = CrawlerProcess(Settings(BASE_SETTINGS))
    for crawl in spec["crawls"]:
        cfg = crawl["cfg"]
        feeds = {str(out / f"{cfg['name']}.jl"): {"format": "jsonlines", "encoding": "utf8"}}
        # Per-crawl settings ride on a subclass's custom_settings: the process owns one reactor.
        base = load_object(SPIDERS[crawl["kind"]])
        spider_cls = type(
            base.__name__, (base,), {"custom_settings": {**crawl.get("settings", {}), "FEEDS": feeds}}
        )
        process.crawl(spider_cls, source_cfg=cfg)
    process.start()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
