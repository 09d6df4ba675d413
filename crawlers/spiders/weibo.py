"""Weibo: weibo.cn HTML pages (profile, search) and m.weibo.cn JSON (``data.cards[].mblog``).

Config keys: ``url``/``urls``; ``mode`` = "html" | "json" (default: json for m.weibo.cn and /api/
URLs, else html); ``max_pages`` (default 3); ``cookie_env`` — the environment variable holding a login
cookie (see crawlers.middlewares.SourceCookieMiddleware). Without a cookie public pages still work and
the log says so; a redirect to the login page is reported as Blocked.
Each weibo is a post (url https://weibo.cn/comment/<id> or https://m.weibo.cn/detail/<id>) with metrics
reposts / comments / likes. Long weibos are taken as the list shows them (truncated with "全文").
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

from parsel import Selector
from scrapy.http import Response

from crawlers.errors import Blocked, LayoutChanged
from crawlers.htmltext import clean_text, html_to_text, node_text
from crawlers.spiders.common import KindSpider
from crawlers.spiders.jsonapi import with_param

_COUNT = {"reposts": r"转发\[(\d+)\]", "comments": r"评论\[(\d+)\]", "likes": r"赞\[(\d+)\]"}
_NO_RESULTS = re.compile(r"抱歉，未找到|还没发过微博|暂无微博|没有更多")
_JSON_BLOCK_HINT = re.compile(r"频繁|登录|验证|login", re.IGNORECASE)


def count(value: Any) -> int | None:
    """Weibo counts come as 12, "12", "1.2万" or "100万+"."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return int(value)
    match = re.match(r"\s*([\d.]+)\s*(万|亿)?", str(value))
    if not match:
        return None
    scale = {"万": 10_000, "亿": 100_000_000}.get(match.group(2) or "", 1)
    return int(float(match.group(1)) * scale)


class WeiboSpider(KindSpider):
    name = "weibo"

    def parse_entry(self, response: Response, page_no: int = 1) -> Iterable[Any]:
        if self._mode(response.url) == "json":
            yield from self.parse_json(response, page_no)
        else:
            yield from self.parse_html(response, page_no)

    def _mode(self, url: str) -> str:
        mode = str(self.option("mode") or "").lower()
        if mode in ("html", "json"):
            return mode
        parts = urlsplit(url)
        return "json" if parts.hostname == "m.weibo.cn" or "/api/" in parts.path else "html"

    # -- weibo.cn HTML ---------------------------------------------------------------------------------
    def parse_html(self, response: Response, page_no: int) -> Iterator[Any]:
        fetched_at = self.fetch_time()
        page = self.page(response)
        blocks = page.css("div.c[id^=M_]")
        if not blocks:
            if not _NO_RESULTS.search(node_text(page)):
                self.found_nothing(response, page, "微博条目 div.c[id^=M_]")
            return
        owner = clean_text(" ".join(page.css("div.ut span.ctt::text").getall())).split(" ")[0] or None
        posts = [self._html_post(block, response, owner) for block in blocks]
        fresh = set(self.unknown(post["url"] for post in posts))
        for post in posts:
            if post["url"] in fresh:
                yield self.post(fetched_at=fetched_at, **post)
        next_href = page.xpath("//div[@id='pagelist']//a[contains(., '下页')]/@href").get()
        if next_href and fresh and page_no < self.int_option("max_pages", 3):
            yield self.request(
                response.urljoin(next_href), self.parse_entry, cb_kwargs={"page_no": page_no + 1}
            )

    def _html_post(self, block: Selector, response: Response, owner: str | None) -> dict[str, Any]:
        mid = (block.attrib.get("id") or "")[2:]
        text = clean_text(" ".join(node_text(node) for node in block.css("span.ctt")))
        stamp = clean_text(node_text(block.css("span.ct")[0])) if block.css("span.ct") else ""
        whole = node_text(block)
        metrics = {
            name: int(m.group(1)) for name, pattern in _COUNT.items() if (m := re.search(pattern, whole))
        }
        return {
            "url": response.urljoin(f"/comment/{mid}"),
            "external_id": mid or None,
            "title": None,
            "text": text.lstrip(":："),
            "author": clean_text(block.css("a.nk").xpath("string()").get() or "") or owner,
            "published_raw": stamp.split("来自")[0].strip() or None,
            "metrics": metrics or None,
        }

    # -- m.weibo.cn JSON -------------------------------------------------------------------------------
    def parse_json(self, response: Response, page_no: int) -> Iterator[Any]:
        fetched_at = self.fetch_time()
        try:
            data = json.loads(response.body)
        except ValueError:
            self.fail(LayoutChanged("微博接口返回的不是有效的 JSON", url=response.url))
            return
        if not isinstance(data, dict) or data.get("ok") != 1:
            message = str(data.get("msg", "")) if isinstance(data, dict) else ""
            if _JSON_BLOCK_HINT.search(message):
                self.fail(Blocked(f"微博接口拒绝：{message}", url=response.url))
            else:
                self.logger.info(
                    "微博接口没有返回内容（ok=%s）：%s",
                    data.get("ok") if isinstance(data, dict) else "?",
                    message,
                )
            return
        cards = (data.get("data") or {}).get("cards")
        if not isinstance(cards, list):
            self.fail(LayoutChanged("微博接口缺少 data.cards", url=response.url))
            return
        posts = [self._mblog_post(mblog) for mblog in _mblogs(cards)]
        fresh = set(self.unknown(post["url"] for post in posts))
        for post in posts:
            if post["url"] in fresh:
                yield self.post(fetched_at=fetched_at, **post)
        info = (data.get("data") or {}).get("cardlistInfo") or {}
        if fresh and page_no < self.int_option("max_pages", 3):
            if info.get("since_id"):
                next_url = with_param(response.url, "since_id", info["since_id"])
            else:
                next_url = with_param(response.url, "page", int(info.get("page") or page_no + 1))
            yield self.request(next_url, self.parse_entry, cb_kwargs={"page_no": page_no + 1})

    def _mblog_post(self, mblog: dict[str, Any]) -> dict[str, Any]:
        mid = str(mblog.get("id") or mblog.get("mid") or "")
        text = html_to_text(mblog.get("text") or "")
        retweeted = mblog.get("retweeted_status")
        if isinstance(retweeted, dict) and retweeted.get("text"):
            origin = (retweeted.get("user") or {}).get("screen_name") or "原微博"
            text = f"{text}\n//转发 @{origin}：{html_to_text(retweeted['text'])}"
        metrics = {
            "reposts": count(mblog.get("reposts_count")),
            "comments": count(mblog.get("comments_count")),
            "likes": count(mblog.get("attitudes_count")),
        }
        return {
            "url": f"https://m.weibo.cn/detail/{mid}",
            "external_id": mid or None,
            "title": None,
            "text": text,
            "author": (mblog.get("user") or {}).get("screen_name"),
            "published_raw": mblog.get("created_at"),
            "metrics": {key: value for key, value in metrics.items() if value is not None} or None,
        }


def _mblogs(cards: list[Any]) -> Iterator[dict[str, Any]]:
    """mblogs of a card list: direct (card_type 9) or inside card_group (search results)."""
    for card in cards:
        if not isinstance(card, dict):
            continue
        if isinstance(card.get("mblog"), dict):
            yield card["mblog"]
        for inner in card.get("card_group") or []:
            if isinstance(inner, dict) and isinstance(inner.get("mblog"), dict):
                yield inner["mblog"]
