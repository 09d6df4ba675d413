"""Spider for the bundled replay site (kind ``replay``): list pages with pagination → detail pages.

It crawls the three sections of the local site (news, a GBK forum, a message board with replies)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import scrapy
from scrapy.http import Response

from crawlers.canonical import canonical_url
from crawlers.errors import LayoutChanged
from crawlers.items import PostItem
from crawlers.spiders.base import SourceSpider
from tracker.clock import utcnow

SECTIONS = ("news", "bbs", "board")


class ReplaySpider(SourceSpider):
    name = "replay"

    def base_url(self) -> str:
        return str(self.cfg["url"]).rstrip("/") + "/"

    async def start(self) -> AsyncIterator[Any]:
        for section in self.cfg.get("sections") or SECTIONS:
            yield scrapy.Request(
                f"{self.base_url()}{section}/list/1.html",
                callback=self.parse_list,
                cb_kwargs={"section": section, "page": 1},
            )

    def parse_list(self, response: Response, section: str, page: int) -> Any:
        links = response.css("ul.list li.item a.title::attr(href)").getall()
        if not links and response.css("ul.list") and page == 1 and response.css("ul.list li"):
            raise LayoutChanged(f"列表页 {response.url} 有内容但未找到帖子链接")
        urls = [canonical_url(response.urljoin(href)) for href in links]
        from tracker.ingest import known_replied_urls, known_urls

        # message-board items are fetched again until their official reply has been stored
        stored = (known_replied_urls if section == "board" else known_urls)(self.source_name, urls)
        for url in urls:
            if url not in stored:
                yield scrapy.Request(url, callback=self.parse_detail, cb_kwargs={"section": section})
        max_pages = int(self.cfg.get("max_pages") or 20)
        next_href = response.css("div.pager a.next::attr(href)").get()
        if next_href and page < max_pages and len(stored) < len(urls):  # stop paging once all is known
            yield scrapy.Request(
                response.urljoin(next_href),
                callback=self.parse_list,
                cb_kwargs={"section": section, "page": page + 1},
            )

    def parse_detail(self, response: Response, section: str) -> Any:
        title = response.css("div.article h1.title::text").get()
        if title is None:
            raise LayoutChanged(f"详情页 {response.url} 未找到标题")
        item = PostItem(
            source=self.source_name,
            external_id=f"{section}-{response.url.rsplit('/', 1)[-1].split('.')[0]}",
            url=response.url,
            title=title,
            text="\n".join(response.css("div.content p::text").getall()),
            author=response.css("span.author::text").get(),
            published_raw=response.css("div.meta span.time::text").get(),
            fetched_at=utcnow(),
        )
        if response.css("div.reply"):
            item["reply_text"] = response.css("div.reply-text::text").get()
            item["reply_unit"] = response.css("span.reply-unit::text").get()
            item["reply_raw_time"] = response.css("span.reply-time::text").get()
        yield item
