"""Downloader middlewares: refuse blocked/captcha/empty pages as typed errors, and send a source's login
cookie (from the environment variable named by ``cookie_env``) to that source's own hosts only.

Register (priorities matter — see each class):
    DOWNLOADER_MIDDLEWARES = {
        "crawlers.middlewares.PageCheckMiddleware": 540,
        "crawlers.middlewares.SourceCookieMiddleware": 650,
    }
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse

from crawlers.errors import Blocked, EmptyPage
from crawlers.health import BLOCKED_STATUSES

log = logging.getLogger(__name__)

_CAPTCHA_URL = re.compile(
    r"wappass\.baidu\.com|/captcha|passport\.weibo\.c(?:n|om)/(?:signin|visitor)|login\.sina\.com\.cn|"
    r"/verify(?:code)?\b|security-check|/sorry/",
    re.IGNORECASE,
)
_CAPTCHA_TITLE = re.compile(
    r"验证码|安全验证|人机验证|滑动验证|访问验证|身份验证|访问过于频繁|访问受限|拒绝访问|访问被拒绝|"
    r"Sina Visitor System|captcha|Attention Required|Access Denied|403 Forbidden",
    re.IGNORECASE,
)
_CAPTCHA_MARKUP = re.compile(
    r"name=[\"']?captcha|id=[\"']?captcha|geetest|TencentCaptcha|nc_iconfont|verify-?code|"
    r"请输入验证码|请完成安全验证|点击按钮进行验证|拖动滑块",
    re.IGNORECASE,
)
# A real article may mention 验证码; a verification page has little else on it.
_CAPTCHA_MAX_TEXT = 400


def captcha_reason(url: str, text: str) -> str | None:
    """Why this page looks like a captcha / verification / login wall, or None."""
    if _CAPTCHA_URL.search(url):
        return f"被重定向到验证或登录页面 {url}"
    head = text[:20000]
    title = re.search(r"<title[^>]*>(.*?)</title>", head, re.IGNORECASE | re.DOTALL)
    if title and _CAPTCHA_TITLE.search(title.group(1)):
        return f"验证页面：{title.group(1).strip()[:60]}"
    markup = _CAPTCHA_MARKUP.search(head)
    if markup:
        visible = re.sub(r"<script.*?</script>|<style.*?</style>|<[^>]+>|\s+", "", head, flags=re.DOTALL)
        if len(visible) < _CAPTCHA_MAX_TEXT:
            return f"页面要求验证（{markup.group(0)}）"
    return None


class PageCheckMiddleware:
    """Turn a 403/418/429, a captcha or login wall, or an empty 2xx body into Blocked / EmptyPage, raised
    to the request's errback. Priority 540: below RetryMiddleware (550) so a 429 is retried first, and
    below HttpCompressionMiddleware (590) so it reads the decompressed body."""

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Response:
        if request.meta.get("dont_obey_robotstxt") and request.url.endswith("/robots.txt"):
            return response  # robots.txt itself: RobotsTxtMiddleware copes with any status
        if response.status in BLOCKED_STATUSES:
            raise Blocked(f"HTTP {response.status}", url=response.url)
        if not 200 <= response.status < 300:
            return response
        if not response.body.strip():
            raise EmptyPage("响应内容为空", url=response.url)
        if isinstance(response, TextResponse):
            reason = captcha_reason(response.url, response.text)
            if reason:
                raise Blocked(reason, url=response.url)
        elif _CAPTCHA_URL.search(response.url):
            raise Blocked(f"被重定向到验证或登录页面 {response.url}", url=response.url)
        return response


def parse_cookie_header(value: str) -> dict[str, str]:
    """ "a=1; b=2" (as copied from a browser) → {"a": "1", "b": "2"}."""
    cookies: dict[str, str] = {}
    for part in value.split(";"):
        name, sep, val = part.strip().partition("=")
        if sep and name.strip():
            cookies[name.strip()] = val.strip()
    return cookies


def login_cookies(cfg: Mapping[str, Any], environ: Mapping[str, str]) -> tuple[dict[str, str], str]:
    """The source's login cookies from the environment variable its config names, and a log line."""
    name = str(cfg.get("cookie_env") or "").strip()
    source = cfg.get("name", "?")
    if not name:
        return {}, f"来源 {source} 未配置 cookie_env：以未登录方式抓取公开页面"
    cookies = parse_cookie_header(environ.get(name, ""))
    if not cookies:
        return {}, f"来源 {source} 的环境变量 {name} 未设置或为空：以未登录方式抓取公开页面"
    return cookies, f"来源 {source} 使用环境变量 {name} 中的登录 Cookie（{len(cookies)} 项）"


def cookie_hosts(cfg: Mapping[str, Any]) -> set[str]:
    """Hosts the login cookie may go to: the source's own hosts, without a www./m. prefix, and their
    subdomains (weibo.cn covers m.weibo.cn). Never a third-party host a page links to."""
    hosts: set[str] = set()
    for url in [cfg.get("url"), *(cfg.get("urls") or [])]:
        host = (urlsplit(str(url)).hostname or "") if url else ""
        if host:
            hosts.add(re.sub(r"^(?:www|m|wap)\.", "", host.lower()))
    return hosts


class SourceCookieMiddleware:
    """Attach the login cookie from ``cookie_env`` to requests for the source's hosts. Priority 650:
    before CookiesMiddleware (700), which then keeps the session in its jar."""

    def __init__(self, crawler: Crawler, environ: Mapping[str, str] | None = None) -> None:
        self.crawler = crawler
        self.environ = os.environ if environ is None else environ
        self._cookies: dict[str, str] | None = None
        self._hosts: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SourceCookieMiddleware:
        return cls(crawler)

    def process_request(self, request: Request, spider: Any = None) -> None:
        if self._cookies is None:
            self._load()
        if not self._cookies or request.meta.get("dont_merge_cookies"):
            return
        host = (urlsplit(request.url).hostname or "").lower()
        if not any(host == base or host.endswith("." + base) for base in self._hosts):
            return
        if isinstance(request.cookies, dict):
            for name, value in self._cookies.items():
                request.cookies.setdefault(name, value)

    def _load(self) -> None:
        cfg = getattr(self.crawler.spider, "cfg", None)
        if not isinstance(cfg, Mapping):
            self._cookies = {}
            return
        self._cookies, message = login_cookies(cfg, self.environ)
        self._hosts = cookie_hosts(cfg)
        log.info(message)
