"""Feeds and list pages are fetched conditionally: the second crawl sends If-None-Match / If-Modified-Since,
the server answers 304, and the crawl stays healthy with nothing new and nothing doubled."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.e2e.test_replay_e2e import yuqing

pytestmark = pytest.mark.slow

FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>临江政务</title><link>{base}/</link><description>d</description>
<item><title>关于建设路排水管网改造的通告</title><link>{base}/a/1.html</link>
<description>建设路排水管网改造工程将于12月1日开工，请市民绕行。</description>
<pubDate>Mon, 23 Nov 2026 10:00:00 +0800</pubDate><guid>{base}/a/1.html</guid></item>
<item><title>临江市开展校园食品安全专项检查</title><link>{base}/a/2.html</link>
<description>市市场监管局联合教育局开展校园食堂专项检查。</description>
<pubDate>Mon, 23 Nov 2026 11:00:00 +0800</pubDate><guid>{base}/a/2.html</guid></item>
</channel></rss>"""
ETAG = '"feed-v1"'


@pytest.fixture
def server() -> Iterator[tuple[str, list[dict[str, str]]]]:
    seen: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/robots.txt":
                body = b"User-agent: *\nAllow: /\n"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            seen.append(dict(self.headers))
            if self.headers.get("If-None-Match") == ETAG:
                self.send_response(304)
                self.send_header("ETag", ETAG)
                self.end_headers()
                return
            body = FEED.format(base=f"http://127.0.0.1:{self.server.server_address[1]}").encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("ETag", ETAG)
            self.send_header("Last-Modified", "Mon, 23 Nov 2026 03:00:00 GMT")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    httpd.shutdown()
    httpd.server_close()


def test_second_crawl_revalidates_with_etag(tmp_path: Path, server: tuple[str, list[dict[str, str]]]) -> None:
    base, seen = server
    cfg = tmp_path / "yuqing.toml"
    cfg.write_text(
        f'[database]\nurl = "sqlite:///var/y.db"\n\n[[sources]]\nname = "政务要闻"\nkind = "feed"\n'
        f'url = "{base}/rss.xml"\n',
        encoding="utf-8",
    )
    first = yuqing(cfg, "crawl", "政务要闻")
    assert first.returncode == 0 and "新增 2 条" in first.stdout, first.stdout + first.stderr
    second = yuqing(cfg, "crawl", "政务要闻")
    assert second.returncode == 0 and "新增 0 条" in second.stdout, second.stdout
    feed_requests = [h for h in seen]
    assert len(feed_requests) == 2
    assert feed_requests[1].get("If-None-Match") == ETAG or feed_requests[1].get("If-Modified-Since")
    posts = yuqing(cfg, "posts", "--format", "jsonl").stdout.splitlines()
    assert len(posts) == 2
