"""A local test site on 127.0.0.1 serving the saved pages in their real encodings, plus the failures a
crawler meets: pagination, a 404, a 500 then success, a redirect, a robots.txt rule, a slow page, a
layout change, a captcha page, a 403 and an empty body. Started in a thread by the crawl tests.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

PAGES = Path(__file__).parent / "pages"
SLOW_SECONDS = 1.5

_EXTRA_BOARD_ROWS = """<tr><td>20261119404</td><td class="td-title"><a href="/lyb/detail.jsp?id=20261119404">已删除的信件</a></td>
<td>投诉</td><td>已办结</td><td>2026-11-08</td></tr>
<tr><td>20261119555</td><td class="td-title"><a href="/lyb/detail.jsp?id=slow">网速很慢的信件</a></td>
<td>咨询</td><td>已办结</td><td>2026-11-07</td></tr>
<tr><td>20261119999</td><td class="td-title"><a href="/lyb/private/detail.jsp?id=20261119999">内部信件</a></td>
<td>咨询</td><td>已办结</td><td>2026-11-06</td></tr>
</table>"""


class LocalSite:
    """Serves the site; ``hits`` counts requests per path+query, ``headers`` keeps each request's headers."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.headers: dict[str, list[dict[str, str]]] = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> LocalSite:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.hits[self.path] += 1
                site.headers.setdefault(self.path, []).append(dict(self.headers.items()))
                status, headers, body = site.route(self.path, site.hits[self.path])
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the crawler gave up on a slow page (the timeout test): expected

            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                return

        return Handler

    def route(self, path: str, hit: int) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        html_gbk = {"Content-Type": "text/html; charset=ISO-8859-1"}  # Tomcat's default: wrong on purpose
        html = {"Content-Type": "text/html; charset=utf-8"}
        xml = {"Content-Type": "application/rss+xml"}
        page = parts.path
        if page == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /lyb/private/\n"
        if page == "/lyb/list.jsp":
            if query.get("page") == "2":
                text = (PAGES / "msgboard_list_p2_gbk.html").read_bytes().decode("gbk")
                return 200, html_gbk, text.replace("</table>", _EXTRA_BOARD_ROWS, 1).encode("gbk")
            return 200, html_gbk, (PAGES / "msgboard_list_p1_gbk.html").read_bytes()
        if page == "/lyb/detail.jsp":
            return self._board_detail(query.get("id", ""), hit)
        if page == "/lyb/show.jsp":
            return 200, html_gbk, (PAGES / "msgboard_detail_1003_gbk.html").read_bytes()
        if page == "/changed/lyb/list.jsp":
            return 200, html_gbk, (PAGES / "msgboard_list_redesigned_gbk.html").read_bytes()
        if page == "/bbs/list.html":
            return 200, html, (PAGES / "captcha_baidu.html").read_bytes()
        if page == "/forbidden/api":
            return 403, html, b"<html><body><h1>403 Forbidden</h1></body></html>"
        if page == "/empty.xml":
            return 200, xml, b""
        if page == "/slow-feed.xml":
            time.sleep(SLOW_SECONDS)
            return 200, xml, (PAGES / "feed_atom_utf8.xml").read_bytes()
        if page == "/rss.xml":  # GBK bytes labelled gb2312, links pointed at this site
            body = (PAGES / "feed_rss2_gb2312_label.xml").read_bytes()
            return 200, xml, body.replace(b"http://www.jiangcheng.gov.cn", self.base.encode())
        if page.startswith("/zwyw/"):
            return 200, {"Content-Type": "text/html"}, (PAGES / "article_gov_gbk.html").read_bytes()
        return self._social(page, query, html)

    def _board_detail(self, ident: str, hit: int) -> tuple[int, dict[str, str], bytes]:
        html_gbk = {"Content-Type": "text/html; charset=ISO-8859-1"}
        if ident == "20261119001":
            return 200, html_gbk, (PAGES / "msgboard_detail_replied_gbk.html").read_bytes()
        if ident == "20261119002":
            if hit == 1:
                return 500, {"Content-Type": "text/plain"}, b"Internal Server Error"
            return 200, html_gbk, (PAGES / "msgboard_detail_unreplied_gbk.html").read_bytes()
        if ident == "20261119003":
            return 302, {"Location": "/lyb/show.jsp?id=20261119003"}, b""
        if ident == "slow":
            time.sleep(SLOW_SECONDS)
            body = (PAGES / "msgboard_detail_replied_gbk.html").read_bytes()
            return 200, html_gbk, body.replace(b"20261119001", b"20261119555")
        return 404, {"Content-Type": "text/html"}, "<html><body>信件不存在</body></html>".encode("gbk")

    def _social(
        self, page: str, query: dict[str, str], html: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        json_type = {"Content-Type": "application/json;charset=UTF-8"}
        if page == "/api/letters":
            number = int(query.get("page", "1"))
            if number <= 2:
                return 200, json_type, (PAGES / f"jsonapi_page{number}.json").read_bytes()
            return 200, json_type, json.dumps({"code": 200, "data": {"list": []}}).encode()
        if page == "/msrx/index.html":
            return 200, html, (PAGES / "listing_list_utf8.html").read_bytes()
        if page.startswith("/msrx/2026/"):
            return 200, html, (PAGES / "listing_detail_utf8.html").read_bytes()
        if page == "/news/content_556601.htm":
            return 200, html, (PAGES / "article_news_utf8.html").read_bytes()
        if page == "/f":
            return 200, html, (PAGES / "tieba_list.html").read_bytes()
        if page.startswith("/p/"):
            return 200, html, (PAGES / "tieba_thread.html").read_bytes()
        if page == "/2012345678":
            return 200, html, (PAGES / "weibo_cn_profile.html").read_bytes()
        return 404, html, b"<html><body>not found</body></html>"
