"""A JSON list endpoint: items found by a dotted path, fields by dotted paths inside each item.

Config keys:
  items_path  where the list is, e.g. "data.list" (numbers index arrays: "data.0.rows")
  fields      {id=…, title=…, text=…, time=…, url=…, author=…} dotted paths inside an item; ``url`` may
              instead be a template such as "https://x.gov.cn/detail/{id}" (any item path in braces)
  page_param  query parameter to page with (none: one request per URL); page_start (default 1);
  max_pages   (default 5 with page_param, else 1); headers  extra request headers (e.g. Referer).
Paging stops at an empty page or a page whose posts are all stored already.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from scrapy.http import Response

from crawlers.encoding import decode_body, header_charset
from crawlers.errors import LayoutChanged
from crawlers.htmltext import html_to_text
from crawlers.spiders.common import KindSpider

_MISSING = object()
_TEMPLATE = re.compile(r"\{([\w.]+)\}")


def dig(data: Any, path: str) -> Any:
    """Follow a dotted path ("data.list", "user.screen_name", "rows.0.id"); _MISSING when absent."""
    current = data
    for part in (p for p in path.split(".") if p):
        if isinstance(current, Mapping) and part in current:
            current = current[part]
        elif (
            isinstance(current, list)
            and part.lstrip("-").isdigit()
            and -len(current) <= int(part) < len(current)
        ):
            current = current[int(part)]
        else:
            return _MISSING
    return current


def with_param(url: str, name: str, value: object) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != name]
    query.append((name, str(value)))
    return urlunsplit(parts._replace(query=urlencode(query)))


class JsonApiSpider(KindSpider):
    name = "jsonapi"

    async def start(self) -> AsyncIterator[Any]:
        page_param = self.option("page_param")
        first = self.int_option("page_start", 1)
        for url in self.entry_urls():
            target = with_param(url, str(page_param), first) if page_param else url
            yield self._request(target, first)

    def _request(self, url: str, page_no: int) -> Any:
        headers = dict(self.option("headers") or {})
        return self.request(
            url, self.parse_entry, role="list", headers=headers, cb_kwargs={"page_no": page_no}
        )

    def parse_entry(self, response: Response, page_no: int = 1) -> Iterable[Any]:
        fetched_at = self.fetch_time()
        text, _ = decode_body(response.body, header_charset(response.headers.get(b"Content-Type")))
        try:
            data = json.loads(text)
        except ValueError:
            self.fail(LayoutChanged("接口返回的不是有效的 JSON", url=response.url))
            return
        path = str(self.required_option("items_path"))
        rows = dig(data, path)
        if rows is _MISSING or not isinstance(rows, list):
            self.fail(LayoutChanged(f"字段路径 items_path（{path}）不存在或不是列表", url=response.url))
            return
        posts = [post for post in (self._fields(row, response) for row in rows) if post is not None]
        if len(posts) < len(rows):
            self.logger.warning("%s 中有 %d 条记录缺少链接字段，已跳过", response.url, len(rows) - len(posts))
        fresh = set(self.unknown(post["url"] for post in posts))
        for post in posts:
            if post["url"] in fresh:
                yield self.post(fetched_at=fetched_at, **post)
        yield from self._next(response, page_no, more=bool(rows) and bool(fresh))

    def _next(self, response: Response, page_no: int, more: bool) -> Iterable[Any]:
        page_param = self.option("page_param")
        if not page_param or not more:
            return
        limit = self.int_option("max_pages", 5)
        start = self.int_option("page_start", 1)
        if page_no - start + 1 >= limit:
            return
        yield self._request(with_param(response.url, str(page_param), page_no + 1), page_no + 1)

    def _fields(self, row: Any, response: Response) -> dict[str, Any] | None:
        fields: Mapping[str, str] = self.required_option("fields")

        def value(key: str) -> Any:
            path = fields.get(key)
            found = dig(row, path) if path else _MISSING
            return None if found is _MISSING else found

        url = self._url(row, fields.get("url"), response)
        if not url:
            return None
        ident = value("id")
        title = value("title")
        return {
            "url": url,
            "external_id": None if ident is None else str(ident),
            "title": html_to_text(str(title)) if title is not None else None,
            "text": html_to_text(str(value("text") or "")),
            "published_raw": value("time"),
            "author": None if value("author") is None else str(value("author")),
        }

    @staticmethod
    def _url(row: Any, spec: str | None, response: Response) -> str | None:
        if not spec:
            return None
        if "{" in spec:
            missing = [name for name in _TEMPLATE.findall(spec) if dig(row, name) is _MISSING]
            if missing:
                return None
            return response.urljoin(_TEMPLATE.sub(lambda m: str(dig(row, m.group(1))), spec))
        found = dig(row, spec)
        return response.urljoin(str(found)) if found not in (_MISSING, None, "") else None
