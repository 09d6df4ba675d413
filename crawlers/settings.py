"""Scrapy settings. Values that users configure come from yuqing.toml's [crawl] section through
environment variables the runner sets (see tracker/crawl_runner.py), so spiders see one configuration."""

from __future__ import annotations

import os

BOT_NAME = "yuqing"
SPIDER_MODULES = ["crawlers.spiders"]
NEWSPIDER_MODULE = "crawlers.spiders"

# Politeness: robots.txt, AutoThrottle, at most two requests per domain at a time.
ROBOTSTXT_OBEY = os.environ.get("YUQING_SCRAPY_OBEY_ROBOTS", "true").lower() not in ("0", "false", "no")
USER_AGENT = os.environ.get("YUQING_SCRAPY_USER_AGENT", "yuqing/0.1 (+public-sentiment monitor)")
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# Scrapy starts this many asyncio tasks for *every* response, whatever it yields (2.19: the default 100
# cost ~1 ms per page, a fifth of the crawl process's time). A page yields one post, a list page ≤ 50
# requests, and the pipelines do not wait on I/O, so a few are enough.
CONCURRENT_ITEMS = 8
AUTOTHROTTLE_ENABLED = os.environ.get("YUQING_SCRAPY_AUTOTHROTTLE", "true").lower() not in (
    "0",
    "false",
    "no",
)
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = int(os.environ.get("YUQING_SCRAPY_MAX_RESPONSE_MB", "10")) * 1024 * 1024
DOWNLOAD_WARNSIZE = DOWNLOAD_MAXSIZE // 2
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408]

# Safety: no remote code execution endpoints (Scrapy 2.19 enables RemoteControl by default).
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False

# Conditional re-fetch of feeds and list pages (ETag / Last-Modified); detail pages are skipped against the
# database before they are requested, so the cache never decides what is new.
HTTPCACHE_ENABLED = os.environ.get("YUQING_SCRAPY_HTTPCACHE", "true").lower() not in ("0", "false", "no")
HTTPCACHE_POLICY = "crawlers.httpcache.RevalidatePolicy"
HTTPCACHE_DIR = os.environ.get("YUQING_SCRAPY_HTTPCACHE_DIR", "httpcache")
HTTPCACHE_IGNORE_HTTP_CODES = [403, 404, 418, 429, 500, 502, 503, 504]

ITEM_PIPELINES = {
    "crawlers.pipelines.NormalizePipeline": 100,
    "crawlers.pipelines.DedupePipeline": 200,
    "crawlers.pipelines.IngestPipeline": 300,  # analysis and storage, in the ingest worker process
}
# Analysis and storage run in a child process of the crawl (crawlers/ingest_worker.py) unless this is set.
YUQING_INGEST_INLINE = os.environ.get("YUQING_INGEST_INLINE", "false").lower() in ("1", "true", "yes")

EXTENSIONS = {"crawlers.health.HealthReporter": 500}
DOWNLOADER_MIDDLEWARES = {
    "crawlers.middlewares.PageCheckMiddleware": 540,
    "crawlers.middlewares.SourceCookieMiddleware": 650,
}

LOG_LEVEL = os.environ.get("YUQING_SCRAPY_LOG_LEVEL", "INFO")
FEED_EXPORT_ENCODING = "utf-8"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
