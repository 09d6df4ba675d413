"""Helpers for spider unit tests: a spider bound to a test crawler, responses built from saved pages."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import Request
from scrapy.http import HtmlResponse, Response, TextResponse, XmlResponse
from scrapy.utils.test import get_crawler

from crawlers.items import PostItem
from crawlers.spiders.common import KindSpider

PAGES = Path(__file__).parent / "pages"
FROZEN = "2026-11-20T10:00:00+08:00"
FETCHED = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def make_spider(
    cls: type[KindSpider], cfg: Mapping[str, Any], known: Iterable[str] = (), **settings: Any
) -> Any:
    """A spider as `scrapy crawl` would build it, with a frozen fetch time and an injected known-URL set."""
    known_set = set(known)
    base = {"YUQING_FROZEN_NOW": FROZEN, "YUQING_HEALTH_RECORDER": ""}
    crawler = get_crawler(cls, {**base, **settings})
    spider: Any = cls.from_crawler(crawler, source_cfg={"name": "测试来源", "kind": cls.name, **cfg})
    spider.known_url_filter = lambda source, urls: {u for u in urls if u in known_set}
    crawler.spider = spider
    assert crawler.stats is not None
    crawler.stats.open_spider()
    return spider


def response(
    name: str,
    url: str,
    content_type: str | None = None,
    role: str = "list",
    cls: type[TextResponse] = HtmlResponse,
    status: int = 200,
    cb_kwargs: Mapping[str, Any] | None = None,
) -> TextResponse:
    body = (PAGES / name).read_bytes()
    headers = {"Content-Type": content_type} if content_type else {}
    request = Request(url, meta={"yuqing_role": role}, cb_kwargs=dict(cb_kwargs or {}))
    return cls(url=url, body=body, headers=headers, request=request, status=status)


def xml_response(name: str, url: str, content_type: str | None = None) -> TextResponse:
    return response(name, url, content_type, cls=XmlResponse)


def split(results: Iterable[Any]) -> tuple[list[PostItem], list[Request]]:
    items: list[PostItem] = []
    requests: list[Request] = []
    for result in results or ():
        if isinstance(result, PostItem):
            items.append(result)
        elif isinstance(result, Request):
            requests.append(result)
        else:
            raise AssertionError(f"unexpected callback output {result!r}")
    return items, requests


def stats(spider: Any) -> dict[str, Any]:
    return dict(spider.crawler.stats.get_stats())


def plain(body: bytes, url: str, status: int = 200) -> Response:
    return Response(url=url, body=body, status=status, request=Request(url))
