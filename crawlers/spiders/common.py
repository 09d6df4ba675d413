"""Shared machinery of the source-kind spiders: requests with typed failure handling, decoding, the
incremental "already stored?" check, the fetch time, and building PostItems.

Roles: every request carries ``meta["yuqing_role"]`` — "list" (feeds, list pages, API pages: a failure
there fails the source) or "detail" (one post's page: a 404 or timeout there is counted, not fatal).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from datetime import datetime
from typing import Any

import scrapy
from parsel import Selector
from scrapy.http import Response
from scrapy.utils.misc import load_object
from twisted.python.failure import Failure

from crawlers.canonical import canonical_url
from crawlers.encoding import decode_body, header_charset
from crawlers.errors import CrawlError, EmptyPage, LayoutChanged, RobotsDenied
from crawlers.health import STAT_SKIPPED_KNOWN, classify, record_failure
from crawlers.htmltext import visible_text_length
from crawlers.items import PostItem
from crawlers.spiders.base import SourceSpider

KnownUrlFilter = Callable[[str, list[str]], set[str]]
# Visible characters above which a page "has content": below it, finding nothing is not a layout change.
MIN_CONTENT_CHARS = 80
# Failures on detail pages that still mean the whole source is broken.
_FATAL_ON_DETAIL = frozenset({"blocked", "layout_changed"})


class KindSpider(SourceSpider):
    """Base of the per-kind spiders (name = kind)."""

    name = ""  # abstract: an empty name keeps Scrapy's spider loader from listing it

    source_name: str  # set by SourceSpider.from_crawler
    known_url_filter: KnownUrlFilter | None = None
    # Which "already stored?" lookup this kind uses: a setting naming it, and the default import path.
    known_setting = "YUQING_KNOWN_URLS"
    known_default = "tracker.ingest.known_urls"

    async def start(self) -> AsyncIterator[Any]:
        for url in self.entry_urls():
            yield self.request(url, self.parse_entry, role="list")

    def parse_entry(self, response: Response) -> Iterable[Any]:
        raise NotImplementedError

    # -- configuration -------------------------------------------------------------------------------
    def entry_urls(self) -> list[str]:
        urls = [self.cfg.get("url"), *(self.cfg.get("urls") or [])]
        found = [str(url).strip() for url in urls if url and str(url).strip()]
        if not found:
            raise ValueError(f"来源 {self.source_name} 缺少 url 或 urls")
        return list(dict.fromkeys(found))

    def int_option(self, key: str, default: int) -> int:
        value = self.option(key, default)
        if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip().isdigit():
            raise ValueError(f"来源 {self.source_name} 的配置项 {key} 应为非负整数，实际是 {value!r}")
        return int(value)

    def required_option(self, key: str) -> Any:
        value = self.option(key)
        if value in (None, "", [], {}):
            raise ValueError(f"来源 {self.source_name}（{self.name}）缺少配置项 {key}")
        return value

    # -- requests and failures ----------------------------------------------------------------------
    def request(
        self, url: str, callback: Callable[..., Any], role: str = "list", **kwargs: Any
    ) -> scrapy.Request:
        meta = dict(kwargs.pop("meta", None) or {})
        meta["yuqing_role"] = role
        return scrapy.Request(url, callback=callback, errback=self.on_error, meta=meta, **kwargs)

    def on_error(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        role = request.meta.get("yuqing_role", "list") if request is not None else "list"
        error = classify(failure)
        on_detail_fatal = error.kind in _FATAL_ON_DETAIL and not isinstance(error, RobotsDenied)
        self.fail(error, fatal=role != "detail" or on_detail_fatal)

    def fail(self, error: CrawlError, fatal: bool = True) -> None:
        assert self.crawler.stats is not None
        record_failure(self.crawler.stats, error, fatal, self.logger)

    # -- pages ---------------------------------------------------------------------------------------
    def page(self, response: Response, kind: str = "html") -> Selector:
        """The response as a selector, decoded by crawlers.encoding (GB2312 labels, wrong headers…)."""
        charset = header_charset(response.headers.get(b"Content-Type"))
        text, _ = decode_body(response.body, charset)
        return Selector(text=text, type=kind, base_url=response.url)

    def found_nothing(self, response: Response, page: Selector, what: str) -> None:
        """Selectors found nothing: a layout change if the page has content, else an empty page. On an
        entry page either fails the source; on a detail page only a layout change does."""
        detail = response.meta.get("yuqing_role") == "detail"
        if visible_text_length(page) >= MIN_CONTENT_CHARS:
            self.fail(LayoutChanged(f"{what}未匹配到任何内容", url=response.url), fatal=True)
        else:
            self.fail(EmptyPage(f"页面没有内容，{what}未匹配", url=response.url), fatal=not detail)

    # -- incremental ---------------------------------------------------------------------------------
    def unknown(self, urls: Iterable[str]) -> list[str]:
        """The URLs not stored yet (absolute URLs in, same strings out, order kept, repeats dropped)."""
        wanted = list(dict.fromkeys(urls))
        canonical = {url: canonical_url(url) for url in wanted}
        known = self.known(list(dict.fromkeys(canonical.values())))
        fresh = [url for url in wanted if canonical[url] not in known]
        skipped = len(wanted) - len(fresh)
        if skipped:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value(STAT_SKIPPED_KNOWN, skipped)
        return fresh

    def known(self, canonical_urls: list[str]) -> set[str]:
        if not canonical_urls:
            return set()
        check = self.known_url_filter or self._known_lookup()
        try:
            return set(check(self.source_name, canonical_urls))
        except Exception:  # cannot ask: fetch everything (the dedupe pipeline drops repeats) rather than lose
            self.logger.exception("无法查询已存储的链接，本次全部抓取")
            return set()

    def _known_lookup(self) -> KnownUrlFilter:
        target = self.settings.get(self.known_setting) or self.known_default
        try:
            return load_object(target) if isinstance(target, str) else target
        except (ImportError, AttributeError, NameError):
            self.logger.warning("找不到 %s，改用 tracker.ingest.known_urls", target)
            return load_object("tracker.ingest.known_urls")

    # -- items ---------------------------------------------------------------------------------------
    def fetch_time(self) -> datetime:
        """Aware UTC time of the fetch. ``YUQING_FROZEN_NOW`` in the crawler settings freezes it (tests)."""
        from tracker.clock import parse_iso, utcnow

        frozen = self.settings.get("YUQING_FROZEN_NOW")
        return parse_iso(str(frozen)) if frozen else utcnow()

    def post(self, url: str, fetched_at: datetime, **fields: Any) -> PostItem:
        """A PostItem with the shared raw fields. Times stay raw: the normalise pipeline parses them with
        crawlers.timeparse against ``fetched_at`` and logs/counts the ones it cannot read."""
        item = PostItem(source=self.source_name, url=canonical_url(url), fetched_at=fetched_at)
        for key in ("external_id", "title", "text", "author", "published_raw", "metrics"):
            item[key] = fields.get(key)
        for key in ("reply_text", "reply_unit", "reply_raw_time"):
            if key in fields:
                item[key] = fields[key]
        return item
