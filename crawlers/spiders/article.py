"""News or government article pages: main text, title and publish time extracted (crawlers.extract).

Config keys: ``url``/``urls`` — the article pages themselves; or, with ``link_selector``, list pages whose
matching links are the articles. ``max_pages`` caps the number of article pages fetched per crawl
(default 30). Pages already stored are not fetched again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

from scrapy.http import Response

from crawlers.extract import extract_article
from crawlers.htmltext import select_links
from crawlers.spiders.common import KindSpider

DEFAULT_MAX_ARTICLES = 30


class ArticleSpider(KindSpider):
    name = "article"

    async def start(self) -> AsyncIterator[Any]:
        if self.option("link_selector"):
            for url in self.entry_urls():
                yield self.request(url, self.parse_entry, role="list")
            return
        # The configured URLs are the articles: the source's own pages, so a failure there is fatal.
        for url in self.unknown(self.entry_urls()):
            yield self.request(url, self.parse_article, role="list")

    def parse_entry(self, response: Response) -> Iterable[Any]:
        page = self.page(response)
        selector = str(self.option("link_selector"))
        links = [response.urljoin(href) for href in select_links(page, selector)]
        if not links:
            self.found_nothing(response, page, f"文章链接选择器 link_selector（{selector}）")
            return
        limit = self.int_option("max_pages", DEFAULT_MAX_ARTICLES)
        for url in self.unknown(links)[:limit]:
            yield self.request(url, self.parse_article, role="detail")

    def parse_article(self, response: Response) -> Iterator[Any]:
        fetched_at = self.fetch_time()
        page = self.page(response)
        article = extract_article(page)
        if not article.text:
            self.found_nothing(response, page, "正文提取")
            return
        yield self.post(
            response.url,
            fetched_at,
            title=article.title,
            text=article.text,
            published_raw=article.published_raw,
            author=article.author,
        )
