"""Typed crawl failures. A failure of a source is data (its health), not silence.

Each error has a machine ``kind`` (stored in the source's health, used by alert rules) and a Chinese
``message`` for the people who read ``yuqing status`` and the alerts.
"""

from __future__ import annotations


class CrawlError(Exception):
    """Base of all typed crawl failures."""

    kind = "error"
    label = "抓取失败"

    def __init__(self, detail: str, url: str | None = None) -> None:
        self.detail = detail
        self.url = url
        super().__init__(self.message)

    @property
    def message(self) -> str:
        where = f"（{self.url}）" if self.url else ""
        return f"{self.label}：{self.detail}{where}"


class LayoutChanged(CrawlError):
    """The page has content but the configured selectors found nothing: the site changed its layout."""

    kind = "layout_changed"
    label = "页面结构已变化"


class Blocked(CrawlError):
    """The site refused us: HTTP 403/418/429 or a captcha / verification page."""

    kind = "blocked"
    label = "访问被拦截"


class RobotsDenied(Blocked):
    """robots.txt forbids the URL. On an entry page the source cannot be crawled at all (fatal); a single
    forbidden detail link only counts as a failed page."""

    label = "robots.txt 不允许抓取"


class EmptyPage(CrawlError):
    """The response had no body (or only whitespace)."""

    kind = "empty_page"
    label = "页面为空"


class NetworkError(CrawlError):
    """DNS, connection, timeout or a server error that did not recover after retries."""

    kind = "network"
    label = "网络错误"


ERROR_KINDS: tuple[type[CrawlError], ...] = (LayoutChanged, Blocked, EmptyPage, NetworkError)
