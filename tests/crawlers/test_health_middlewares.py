"""Failure classification, the health reporter extension, and the page-check / cookie middlewares."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from scrapy import Request, signals
from scrapy.exceptions import DownloadCancelledError, DownloadTimeoutError, IgnoreRequest, NotConfigured
from scrapy.http import HtmlResponse, Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from crawlers.errors import Blocked, EmptyPage, LayoutChanged, NetworkError, RobotsDenied
from crawlers.health import HealthReporter, classify, record_failure
from crawlers.middlewares import (
    PageCheckMiddleware,
    SourceCookieMiddleware,
    captcha_reason,
    cookie_hosts,
    login_cookies,
    parse_cookie_header,
)
from crawlers.spiders.listing import ListingSpider
from tests.crawlers.helpers import PAGES, make_spider

URL = "http://www.jiangcheng.gov.cn/lyb/list.jsp"


def failure(error: BaseException, url: str = URL) -> Failure:
    result = Failure(error)
    result.request = Request(url)  # type: ignore[attr-defined]
    return result


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (HttpError(Response(URL, status=429), "x"), "blocked"),
        (HttpError(Response(URL, status=403), "x"), "blocked"),
        (HttpError(Response(URL, status=500), "x"), "network"),
        (DownloadTimeoutError("took too long"), "network"),
        (DownloadCancelledError("larger than DOWNLOAD_MAXSIZE"), "network"),
        (ConnectionRefusedError("refused"), "network"),
        (LayoutChanged("x"), "layout_changed"),
        (IgnoreRequest("Forbidden by robots.txt"), "blocked"),
        (ValueError("bug"), "error"),
    ],
)
def test_classify(error: BaseException, kind: str) -> None:
    assert classify(failure(error)).kind == kind


def test_robots_is_its_own_blocked_subtype() -> None:
    assert isinstance(classify(failure(IgnoreRequest("Forbidden by robots.txt"))), RobotsDenied)


def test_detail_page_404_counts_but_a_list_page_404_fails_the_source() -> None:
    spider = make_spider(ListingSpider, {"url": URL, "item_links": "a"})
    detail = failure(HttpError(Response(URL + "?id=1", status=404), "x"))
    detail.request = Request(URL + "?id=1", meta={"yuqing_role": "detail"})  # type: ignore[attr-defined]
    spider.on_error(detail)
    stats = spider.crawler.stats
    assert stats.get_value("yuqing/failed") == 1 and stats.get_value("yuqing/fatal_kind") is None
    blocked_detail = failure(Blocked("HTTP 403"))
    blocked_detail.request = Request(URL + "?id=2", meta={"yuqing_role": "detail"})  # type: ignore[attr-defined]
    spider.on_error(blocked_detail)
    assert stats.get_value("yuqing/fatal_kind") == "blocked"


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, bool, str | None, str | None, dict[str, int]]] = []

    def __call__(
        self, source: str, ok: bool, error_kind: str | None, message: str | None, counts: Mapping[str, int]
    ) -> None:
        self.calls.append((source, ok, error_kind, message, dict(counts)))


def reporter() -> tuple[HealthReporter, Any, Recorder]:
    spider = make_spider(ListingSpider, {"url": URL, "item_links": "a"}, YUQING_HEALTH_RECORDER=Recorder())
    extension = HealthReporter.from_crawler(spider.crawler)
    spider.crawler.signals.send_catch_log(signals.spider_opened, spider=spider)
    assert isinstance(extension.recorder, Recorder)  # settings hold a copy of the object passed in
    return extension, spider, extension.recorder


def close(spider: Any, reason: str = "finished") -> None:
    # Through the signal, as the engine does (the extension must stay connected: bound method, no lambda).
    spider.crawler.signals.send_catch_log(signals.spider_closed, spider=spider, reason=reason)


def test_reporter_sends_one_summary_with_counts_on_close() -> None:
    _, spider, recorder = reporter()
    stats = spider.crawler.stats
    stats.inc_value("yuqing/posts_new", 3)
    stats.inc_value("yuqing/posts_duplicate", 2)
    stats.inc_value("item_scraped_count", 5)
    record_failure(stats, NetworkError("HTTP 404", url=URL + "?id=9"), fatal=False)
    close(spider)
    ((source, ok, kind, message, counts),) = recorder.calls
    assert (source, ok, kind, message) == ("测试来源", True, None, None)
    assert counts["new"] == 3 and counts["duplicate"] == 2 and counts["failed"] == 1 and counts["items"] == 5


def test_reporter_reports_the_first_fatal_error_and_interruptions() -> None:
    _, spider, recorder = reporter()
    record_failure(spider.crawler.stats, LayoutChanged("选择器 a 未匹配", url=URL), fatal=True)
    record_failure(spider.crawler.stats, Blocked("HTTP 429", url=URL), fatal=True)
    close(spider)
    assert recorder.calls[0][1:3] == (False, "layout_changed")
    assert "页面结构已变化" in (recorder.calls[0][3] or "")
    _, spider2, recorder2 = reporter()
    close(spider2, reason="shutdown")
    assert recorder2.calls[0][1:3] == (False, "interrupted")


def test_a_failing_recorder_does_not_break_the_crawl_and_empty_setting_disables() -> None:
    def broken(*args: Any) -> None:
        raise RuntimeError("database is locked")

    spider = make_spider(ListingSpider, {"url": URL, "item_links": "a"}, YUQING_HEALTH_RECORDER=broken)
    extension = HealthReporter.from_crawler(spider.crawler)
    extension.spider_closed(spider, "finished")  # logged, not raised
    with pytest.raises(NotConfigured):
        HealthReporter.from_crawler(get_crawler(ListingSpider, {"YUQING_HEALTH_RECORDER": ""}))


def html(url: str, body: bytes, status: int = 200) -> HtmlResponse:
    return HtmlResponse(url, body=body, status=status, request=Request(url))


def test_page_check_raises_typed_errors() -> None:
    check = PageCheckMiddleware()
    request = Request(URL)
    with pytest.raises(Blocked, match="429"):
        check.process_response(request, html(URL, b"<html>slow down</html>", status=429))
    with pytest.raises(EmptyPage):
        check.process_response(request, html(URL, b"  \n "))
    with pytest.raises(Blocked, match="百度安全验证"):
        check.process_response(request, html(URL, (PAGES / "captcha_baidu.html").read_bytes()))
    ok = html(URL, (PAGES / "msgboard_list_p1_gbk.html").read_bytes())
    assert check.process_response(request, ok) is ok
    missing = html(URL, b"<html>404</html>", status=404)
    assert check.process_response(request, missing) is missing  # HttpErrorMiddleware's business
    robots = Request("http://x.cn/robots.txt", meta={"dont_obey_robotstxt": True})
    assert check.process_response(robots, html(robots.url, b"", status=403)).status == 403


def test_captcha_detection_does_not_flag_articles_that_mention_captchas() -> None:
    article = (PAGES / "article_news_utf8.html").read_text(encoding="utf-8")
    long_text = article.replace(
        "</article>", "<p>诈骗分子以发送验证码为由，请输入验证码后即可退款。</p></article>"
    )
    assert captcha_reason("http://news.x.cn/a.htm", long_text) is None
    short = "<html><head><title>提示</title></head><body><form><input name='captcha'>请输入验证码</form></body></html>"
    assert captcha_reason("http://bbs.x.cn/", short) is not None
    assert captcha_reason("https://passport.weibo.cn/signin/login?entry=mweibo", "") is not None


def test_login_cookie_from_env_only_to_the_source_hosts() -> None:
    cfg = {"name": "江城发布", "url": "https://weibo.cn/2012345678", "cookie_env": "WEIBO_COOKIE"}
    cookies, message = login_cookies(cfg, {"WEIBO_COOKIE": "SUB=abc; SUBP=x=y; bad"})
    assert cookies == {"SUB": "abc", "SUBP": "x=y"} and "WEIBO_COOKIE" in message
    assert login_cookies(cfg, {})[0] == {} and "未设置或为空" in login_cookies(cfg, {})[1]
    assert "未配置 cookie_env" in login_cookies({"name": "x"}, {})[1]
    assert cookie_hosts({"url": "https://www.jiangcheng.gov.cn/a", "urls": ["https://m.weibo.cn/x"]}) == {
        "jiangcheng.gov.cn",
        "weibo.cn",
    }
    assert parse_cookie_header("a=1;b= 2 ;;") == {"a": "1", "b": "2"}
    spider = make_spider(ListingSpider, {**cfg, "item_links": "a"})
    middleware = SourceCookieMiddleware(spider.crawler, environ={"WEIBO_COOKIE": "SUB=abc"})
    own, mobile, other = (
        Request("https://weibo.cn/x"),
        Request("https://m.weibo.cn/y"),
        Request("https://t.cn/z"),
    )
    for request in (own, mobile, other):
        middleware.process_request(request)
    assert own.cookies == {"SUB": "abc"} and mobile.cookies == {"SUB": "abc"} and other.cookies == {}
