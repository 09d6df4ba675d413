"""A generic list page + detail page site, described by selectors in config (no code per site).

Config keys (a selector starting with "/" or "(" is XPath, else CSS; ``::text``/``::attr(x)`` work):
  item_links  links to detail pages on a list page (required; elements → their href)
  title, text, time, author, external_id   on the detail page (text falls back to main-text extraction,
              title and time to the page's meta tags / "发布时间：" line when not configured)
  next_page   link to the next list page; max_pages (default 5) caps how many list pages per crawl.
Detail pages already stored are not fetched again, and paging stops at a page whose links are all known.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from parsel import Selector
from scrapy.http import Response

from crawlers.extract import find_published, find_title, main_text
from crawlers.htmltext import select_links, select_text
from crawlers.spiders.common import KindSpider

DEFAULT_MAX_PAGES = 5


class ListingSpider(KindSpider):
    name = "listing"

    def parse_entry(self, response: Response, page_no: int = 1) -> Iterable[Any]:
        page = self.page(response)
        selector = str(self.required_option("item_links"))
        links = [response.urljoin(href) for href in select_links(page, selector)]
        if not links:
            self.found_nothing(response, page, f"列表链接选择器 item_links（{selector}）")
            return
        fresh = self.unknown(links)
        for url in fresh:
            yield self.request(url, self.parse_detail, role="detail")
        next_request = self._next_page(response, page, page_no, any_fresh=bool(fresh))
        if next_request is not None:
            yield next_request

    def _next_page(self, response: Response, page: Selector, page_no: int, any_fresh: bool) -> Any:
        selector = self.option("next_page")
        if not selector or page_no >= self.int_option("max_pages", DEFAULT_MAX_PAGES):
            return None
        if not any_fresh:
            self.logger.info("第 %d 页的链接都已存储，不再翻页", page_no)
            return None
        hrefs = select_links(page, str(selector))
        if not hrefs:
            return None  # the last page has no "next" link: not an error
        url = response.urljoin(hrefs[0])
        if url == response.url:
            return None
        return self.request(url, self.parse_entry, role="list", cb_kwargs={"page_no": page_no + 1})

    def parse_detail(self, response: Response) -> Iterator[Any]:
        fetched_at = self.fetch_time()
        page = self.page(response)
        fields = self.detail_fields(page)
        if not fields["text"]:
            what = f"正文选择器 text（{self.option('text')}）" if self.option("text") else "正文提取"
            self.found_nothing(response, page, what)
            return
        yield self.post(response.url, fetched_at, **fields)

    def detail_fields(self, page: Selector) -> dict[str, Any]:
        """The post's fields from a detail page by the configured selectors (with extraction fallbacks)."""
        text_sel = self.option("text")
        text = select_text(page, text_sel) if text_sel else main_text(page) or None
        title_sel = self.option("title")
        title = select_text(page, title_sel, joiner=" ") if title_sel else find_title(page)
        time_sel = self.option("time")
        published = select_text(page, time_sel, joiner=" ") if time_sel else find_published(page)
        author_sel = self.option("author")
        id_sel = self.option("external_id")
        return {
            "title": title,
            "text": text,
            "published_raw": published,
            "author": select_text(page, author_sel, joiner=" ") if author_sel else None,
            "external_id": select_text(page, id_sel, joiner=" ") if id_sel else None,
        }
