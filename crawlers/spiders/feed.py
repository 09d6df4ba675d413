"""RSS 2.0, RSS 1.0 (RDF) and Atom feeds in any encoding; each item is a post.

Config keys: ``url``/``urls`` (feed addresses); ``follow`` (true: fetch each new item's link and take the
full text with crawlers.extract, or with ``text_selector`` when given); ``text_selector``.
The feed is decoded by crawlers.encoding (a GB2312 label on GBK bytes, no declaration at all…), parsed
leniently, and namespaces are dropped so one set of paths reads all three formats.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from parsel import Selector
from scrapy.http import Response

from crawlers.errors import LayoutChanged
from crawlers.extract import extract_article
from crawlers.htmltext import html_to_text, select_text
from crawlers.spiders.common import KindSpider

_TEXT_FIELDS = ("encoded", "content", "description", "summary")
_TIME_FIELDS = ("pubDate", "published", "date", "issued", "updated", "modified", "created")


class FeedSpider(KindSpider):
    name = "feed"

    def parse_entry(self, response: Response) -> Iterable[Any]:
        fetched_at = self.fetch_time()
        feed = self.page(response, kind="xml")
        feed.remove_namespaces()
        roots = feed.xpath("/rss | /RDF | /feed | /rdf")
        if not roots:
            self.fail(
                LayoutChanged("不是 RSS/Atom 格式（没有 rss、rdf:RDF 或 feed 根元素）", url=response.url)
            )
            return
        entries = [self._entry(node, response) for node in feed.xpath("//item | //entry")]
        posts = [entry for entry in entries if entry["url"]]
        if len(posts) < len(entries):
            self.logger.warning("%s 中有 %d 个条目没有链接，已跳过", response.url, len(entries) - len(posts))
        if not self.option("follow", False):
            for entry in posts:
                yield self.post(fetched_at=fetched_at, **entry)
            return
        fresh = set(self.unknown(entry["url"] for entry in posts))
        for entry in posts:
            if entry["url"] in fresh:
                yield self.request(
                    entry["url"], self.parse_item_page, role="detail", cb_kwargs={"entry": entry}
                )

    def parse_item_page(self, response: Response, entry: dict[str, Any]) -> Iterator[Any]:
        """The item's own page: full text (the feed's summary stays as a fallback if extraction fails)."""
        fetched_at = self.fetch_time()
        page = self.page(response)
        selector = self.option("text_selector")
        text = select_text(page, selector) if selector else extract_article(page).text
        if not text:
            self.found_nothing(
                response, page, f"正文选择器 text_selector（{selector}）" if selector else "正文提取"
            )
        merged = dict(entry, text=text or entry["text"], url=response.url)
        yield self.post(fetched_at=fetched_at, **merged)

    def _entry(self, node: Selector, response: Response) -> dict[str, Any]:
        link = _link(node)
        return {
            "url": response.urljoin(link) if link else None,
            "external_id": _first(node, "guid", "id") or None,
            "title": html_to_text(_first(node, "title")) or None,
            "text": html_to_text(_first(node, *_TEXT_FIELDS)),
            "author": _first(node, "creator", "author/name", "author") or None,
            "published_raw": _first(node, *_TIME_FIELDS) or None,
        }


def _first(node: Selector, *paths: str) -> str:
    """Text of the first of these child paths that has any (CDATA and escaped HTML come back as text)."""
    for path in paths:
        value = node.xpath(f"string({path})").get()
        if value and value.strip():
            return value.strip()
    return ""


def _link(node: Selector) -> str:
    # Atom: <link rel="alternate" href>; RSS 2.0: <link>text</link>; RSS 1.0: rdf:about; guid as a last resort.
    href = node.xpath("link[@rel='alternate']/@href | link[not(@rel)]/@href").get()
    if href:
        return href.strip()
    text = _first(node, "link")
    if text:
        return text
    about = node.xpath("@about").get()
    if about:
        return about.strip()
    guid = node.xpath("guid[not(@isPermaLink='false')]/text()").get() or ""
    return guid.strip() if guid.strip().startswith("http") else ""
