"""Source health: classify crawl failures, count them, and report one summary per crawl.

Spiders call ``record_failure(stats, error, fatal=…)`` (through ``KindSpider.fail``/``on_error``); the
``HealthReporter`` extension, on ``spider_closed``, turns the crawl's stats into one call of the health
recorder — by default ``tracker.ingest.record_health(source, ok, error_kind, message, counts)``.

A crawl is "not ok" when a fatal failure happened: anything on an entry page (feed, list page, API page),
and a block or layout change on any page. A single detail page that 404s or times out is counted as
failed but does not fail the source.

Stats keys written here (and the ones pipelines are expected to increment) are the constants below.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    NotConfigured,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.statscollectors import StatsCollector
from scrapy.utils.misc import load_object
from twisted.python.failure import Failure

from crawlers.errors import Blocked, CrawlError, NetworkError, RobotsDenied

log = logging.getLogger(__name__)

STAT_NEW = "yuqing/posts_new"  # incremented by the storing pipeline
STAT_DUPLICATE = "yuqing/posts_duplicate"  # incremented by the dedupe / storing pipeline
STAT_FAILED = "yuqing/failed"
STAT_SKIPPED_KNOWN = "yuqing/skipped_known"
STAT_UNREADABLE_TIME = "yuqing/unreadable_time"
STAT_FATAL_KIND = "yuqing/fatal_kind"
STAT_FATAL_MESSAGE = "yuqing/fatal_message"
STAT_ITEM_ERROR = "yuqing/item_error"
BLOCKED_STATUSES = frozenset({403, 418, 429})

HealthRecorder = Callable[[str, bool, "str | None", "str | None", Mapping[str, int]], None]
_NETWORK_ERRORS = (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    DownloadFailedError,
    ResponseDataLossError,
    ConnectionError,
    TimeoutError,
)


def classify(failure: Failure | BaseException) -> CrawlError:
    """The typed crawl error for a request failure (what an errback receives)."""
    error = failure.value if isinstance(failure, Failure) else failure
    request = getattr(failure, "request", None)
    url = request.url if request is not None else None
    if isinstance(error, CrawlError):
        return error
    if isinstance(error, HttpError):
        status = error.response.status
        url = error.response.url
        if status in BLOCKED_STATUSES:
            return Blocked(f"HTTP {status}", url=url)
        return NetworkError(f"HTTP {status}", url=url)
    if isinstance(error, DownloadCancelledError):
        return NetworkError(f"响应超过大小限制（DOWNLOAD_MAXSIZE）：{error}", url=url)
    if isinstance(error, IgnoreRequest) and "robots" in str(error).lower():
        return RobotsDenied("请检查来源地址或站点的 robots.txt", url=url)
    if error is None:
        return CrawlError("未知错误", url=url)
    if isinstance(error, _NETWORK_ERRORS) or _is_twisted_network_error(error):
        return NetworkError(f"{type(error).__name__}: {error}", url=url)
    return CrawlError(f"{type(error).__name__}: {error}", url=url)


def _is_twisted_network_error(error: BaseException) -> bool:
    module = type(error).__module__
    return module.startswith(("twisted.internet.error", "twisted.web._newclient", "twisted.internet.defer"))


def record_failure(
    stats: StatsCollector,
    error: CrawlError,
    fatal: bool,
    logger: logging.Logger | logging.LoggerAdapter[Any] = log,
) -> None:
    """Count one failure; keep the first fatal one as the crawl's error."""
    stats.inc_value(STAT_FAILED)
    stats.inc_value(f"yuqing/error/{error.kind}")
    if fatal and stats.get_value(STAT_FATAL_KIND) is None:
        stats.set_value(STAT_FATAL_KIND, error.kind)
        stats.set_value(STAT_FATAL_MESSAGE, error.message)
    logger.log(logging.ERROR if fatal else logging.WARNING, "%s [%s]", error.message, error.kind)


def record_item_error(stats: StatsCollector, message: str | None) -> None:
    """A post that was not stored (a pipeline raised, or storing it failed): counted as failed; the first
    message is kept for the health record."""
    stats.inc_value(STAT_FAILED)
    stats.inc_value("yuqing/item_errors")
    if message and stats.get_value(STAT_ITEM_ERROR) is None:
        stats.set_value(STAT_ITEM_ERROR, message)


def summary(stats: Mapping[str, Any]) -> dict[str, int]:
    """The counts reported with each crawl."""
    return {
        "new": int(stats.get(STAT_NEW, 0)),
        "duplicate": int(stats.get(STAT_DUPLICATE, 0)),
        "failed": int(stats.get(STAT_FAILED, 0)),
        "items": int(stats.get("item_scraped_count", 0)),
        "dropped": int(stats.get("item_dropped_count", 0)),
        "pages": int(stats.get("response_received_count", 0)),
        "skipped_known": int(stats.get(STAT_SKIPPED_KNOWN, 0)),
        "unreadable_time": int(stats.get(STAT_UNREADABLE_TIME, 0)),
    }


class HealthReporter:
    """Extension: on spider_closed, report the crawl's health once through the configured recorder.

    ``YUQING_HEALTH_RECORDER``: a callable or an import path (default ``tracker.ingest.record_health``);
    empty disables the extension (NotConfigured). Tests pass a callable or their own import path.
    """

    def __init__(self, crawler: Crawler, recorder: HealthRecorder) -> None:
        self.crawler = crawler
        self.recorder = recorder

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HealthReporter:
        target = crawler.settings.get("YUQING_HEALTH_RECORDER", "tracker.ingest.record_health")
        if not target:
            raise NotConfigured("health: YUQING_HEALTH_RECORDER is empty")
        recorder = target if callable(target) else load_object(str(target))
        extension = cls(crawler, recorder)
        # A bound method, not a lambda: the signal dispatcher keeps only weak references.
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(extension.spider_error, signal=signals.spider_error)
        crawler.signals.connect(extension.item_error, signal=signals.item_error)
        return extension

    def spider_error(self, failure: Failure, response: Any, spider: Any = None) -> None:
        """An exception escaped a callback: a parse bug or an unexpected page; it fails the crawl."""
        assert self.crawler.stats is not None
        error = classify(failure)
        if type(error) is CrawlError:
            error = CrawlError(f"解析页面出错 {error.detail}", url=getattr(response, "url", None))
        record_failure(self.crawler.stats, error, fatal=True)

    def item_error(
        self, item: Any, response: Any, spider: Any = None, failure: Failure | None = None
    ) -> None:
        """A pipeline raised on an item (not a DropItem): the post was not stored. Counted, and when no
        item of the crawl could be stored the crawl fails — a broken pipeline must not look healthy."""
        assert self.crawler.stats is not None
        message = f"{failure.type.__name__}: {failure.getErrorMessage()}" if failure is not None else None
        record_item_error(self.crawler.stats, message)

    def spider_closed(self, spider: Any, reason: str) -> None:
        assert self.crawler.stats is not None
        stats = self.crawler.stats.get_stats()
        counts = summary(stats)
        kind = stats.get(STAT_FATAL_KIND)
        message = stats.get(STAT_FATAL_MESSAGE)
        item_errors = int(stats.get("yuqing/item_errors", 0))
        if kind is None and item_errors and not counts["new"]:
            kind = "error"
            message = f"{item_errors} 条帖子在处理/入库时出错，未能保存（{stats.get(STAT_ITEM_ERROR)}）"
        if kind is None and reason != "finished":
            kind, message = "interrupted", f"抓取未正常结束（{reason}）"
        source = str(getattr(spider, "source_name", None) or spider.name)
        ok = kind is None
        log.info("来源 %s 抓取结束：%s，%s", source, "正常" if ok else f"失败 [{kind}] {message}", counts)
        try:
            # The runner's run id (``-a run_id=…``): the report lands on this crawl's own CrawlRun, so two
            # crawls of one source at once (the daemon's and a `yuqing crawl`) never swap their counts.
            run_id = getattr(spider, "run_id", None)
            extra = {"run_id": int(run_id)} if run_id and str(run_id).isdigit() else {}
            self.recorder(source, ok, kind, message, counts, **extra)
        except Exception:  # the crawl's posts are stored already; a health write failure must not hide that
            log.exception("来源 %s 的健康状态写入失败", source)
