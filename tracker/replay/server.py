"""The bundled replay source: a small local site of realistic Chinese posts, served on 127.0.0.1 so the
default configuration does real crawling without internet. Time flows from the moment it starts."""

from __future__ import annotations

import logging
import re
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tracker.clock import Clock, SystemClock
from tracker.replay import site

log = logging.getLogger(__name__)
_DETAIL = re.compile(r"^/(news|bbs|board)/post/(\d+)\.html$")
_LIST = re.compile(r"^/(news|bbs|board)/list/(\d+)\.html$")


class ReplayServer:
    def __init__(
        self, port: int, clock: Clock | None = None, started: datetime | None = None, page_delay: float = 0.0
    ) -> None:
        self.clock = clock or SystemClock()
        self.page_delay = page_delay  # seconds per detail page: a slow site, for crash tests
        self.started = started or self.clock.now()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def page(self, path: str) -> site.Page:
        now = self.clock.now()
        if path == "/robots.txt":
            return site.robots()
        if path in ("/", "/index.html"):
            return site.index()
        if m := _LIST.match(path):
            return site.list_page(m.group(1), int(m.group(2)), self.started, now)
        if m := _DETAIL.match(path):
            return site.detail_page(m.group(1), int(m.group(2)), self.started, now)
        return site.Page("页面不存在".encode(), "text/plain; charset=utf-8", 404)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if server.page_delay and "/post/" in path:
                    time.sleep(server.page_delay)
                page = server.page(path)
                self.send_response(page.status)
                self.send_header("Content-Type", page.content_type)
                self.send_header("Content-Length", str(len(page.body)))
                self.end_headers()
                self.wfile.write(page.body)

            def log_message(self, format: str, *args: object) -> None:
                log.debug("replay: " + format, *args)

        return Handler

    def start(self) -> ReplayServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="replay-site", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
