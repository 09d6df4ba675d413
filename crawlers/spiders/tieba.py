"""Baidu Tieba: forum list pages (``li.j_thread_list``) and thread pages (floors ``div.l_post``).

Decision: a thread is one post — its first floor (title + 楼主's text, author, time), with the thread's
reply count in metrics["floors"]. Replies are public opinion too, so ``floors = N`` (default 1) also
makes floors 2..N posts of their own (url ``…/p/<tid>?pid=<post id>``, title "回复：<thread title>").
A thread already stored is not fetched again, so later replies to it are not collected.

Config keys: ``url``/``urls`` (forum list pages, e.g. https://tieba.baidu.com/f?kw=江城);
``max_pages`` (list pages per crawl, default 1); ``max_threads`` (threads per crawl, default 30);
``floors`` (default 1).

Real list pages ship the thread list inside HTML comments in <code> elements (rendered by script);
both that and the plain markup are read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from parsel import Selector, SelectorList
from scrapy.http import Response

from crawlers.htmltext import clean_text, node_text
from crawlers.spiders.common import KindSpider

_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}(?:\s+\d{1,2}:\d{2})?")


def data_field(node: Selector) -> dict[str, Any]:
    """The JSON in a data-field attribute ({} when absent or broken)."""
    raw = node.attrib.get("data-field") or ""
    try:
        value = json.loads(raw) if raw.strip() else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def pagelets(page: Selector) -> list[Selector]:
    """The page plus the markup real list pages hide in HTML comments (inside <code> pagelets)."""
    scopes = [page]
    for comment in page.xpath("//code//comment() | //comment()[contains(., 'j_thread_list')]").getall():
        inner = comment.removeprefix("<!--").removesuffix("-->")
        if "<" in inner:
            scopes.append(Selector(text=inner))
    return scopes


def css_all(scopes: list[Selector], query: str) -> SelectorList[Selector]:
    return SelectorList(node for scope in scopes for node in scope.css(query))


class TiebaSpider(KindSpider):
    name = "tieba"

    def parse_entry(self, response: Response, page_no: int = 1) -> Iterable[Any]:
        page = self.page(response)
        scopes = pagelets(page)
        threads = css_all(scopes, "li.j_thread_list")
        if not threads:
            self.found_nothing(response, page, "贴吧帖子列表 li.j_thread_list")
            return
        found: dict[str, dict[str, Any]] = {}
        for node in threads:
            href = node.css("a.j_th_tit::attr(href)").get()
            if href:
                url = response.urljoin(href.strip())
                found[url] = {"reply_num": data_field(node).get("reply_num")}
        fresh = self.unknown(found)[: self.int_option("max_threads", 30)]
        for url in fresh:
            yield self.request(url, self.parse_thread, role="detail", cb_kwargs={"listed": found[url]})
        next_href = css_all(scopes, "a.next.pagination-item::attr(href), a.next::attr(href)").get()
        if next_href and fresh and page_no < self.int_option("max_pages", 1):
            yield self.request(
                response.urljoin(next_href), self.parse_entry, cb_kwargs={"page_no": page_no + 1}
            )

    def parse_thread(self, response: Response, listed: dict[str, Any] | None = None) -> Iterator[Any]:
        fetched_at = self.fetch_time()
        page = self.page(response)
        floors = page.css("div.l_post")
        if not floors:
            self.found_nothing(response, page, "楼层 div.l_post")
            return
        title = self._title(page)
        thread_url = response.url.split("?")[0]
        tid = thread_url.rstrip("/").rsplit("/", 1)[-1]
        reply_num = (listed or {}).get("reply_num")
        limit = max(self.int_option("floors", 1), 1)
        for index, floor in enumerate(floors[:limit]):
            info = _floor_info(floor)
            if not info["text"]:
                continue  # a deleted floor or an ad floor without content
            first = index == 0
            yield self.post(
                thread_url if first else f"{thread_url}?pid={info['post_id']}",
                fetched_at,
                external_id=tid if first else str(info["post_id"] or f"{tid}-{index + 1}"),
                title=title if first else f"回复：{title}" if title else None,
                text=info["text"],
                author=info["author"],
                published_raw=info["date"],
                metrics={"floors": int(reply_num)} if first and isinstance(reply_num, int) else None,
            )

    @staticmethod
    def _title(page: Selector) -> str | None:
        node = page.css(".core_title_txt")
        if node:
            return (node.attrib.get("title") or clean_text(node_text(node[0]))) or None
        title = clean_text(page.xpath("string(//title)").get() or "")
        return title.split("_")[0] or None


def _floor_info(floor: Selector) -> dict[str, Any]:
    field = data_field(floor)
    author: dict[str, Any] = field["author"] if isinstance(field.get("author"), dict) else {}
    content: dict[str, Any] = field["content"] if isinstance(field.get("content"), dict) else {}
    date = content.get("date")
    if not date:  # newer pages moved the date out of data-field into the floor's tail
        tails = [clean_text(node_text(n)) for n in floor.css(".tail-info, .post-tail-wrap span")]
        date = next((m.group(0) for t in reversed(tails) if (m := _DATE.search(t))), None)
    body = floor.css("div.d_post_content")
    return {
        "text": clean_text(node_text(body[0])) if body else "",
        "author": author.get("user_name")
        or author.get("un")
        or clean_text(floor.css(".d_name a, a.p_author_name").xpath("string()").get() or "")
        or None,
        "date": date,
        "post_id": content.get("post_id"),
    }
