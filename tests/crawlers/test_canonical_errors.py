"""Canonical URLs and typed crawl errors."""

from __future__ import annotations

import pytest

from crawlers.canonical import canonical_url, keep_param
from crawlers.errors import Blocked, CrawlError, EmptyPage, LayoutChanged, NetworkError


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "HTTP://Www.JiangCheng.gov.cn:80/zwyw/t1.html?utm_source=rss&utm_medium=feed&id=3#top",
            "http://www.jiangcheng.gov.cn/zwyw/t1.html?id=3",
        ),
        ("https://x.cn:443/a?spm=a2c4g.1&from=timeline&isappinstalled=0", "https://x.cn/a"),
        ("https://x.cn/a?share_token=ab12&b=2&a=1", "https://x.cn/a?a=1&b=2"),
        ("https://x.cn:8443/p?q=%E7%A7%AF%E6%B0%B4&page=", "https://x.cn:8443/p?page=&q=%E7%A7%AF%E6%B0%B4"),
        ("https://x.cn", "https://x.cn/"),
        ("  https://tieba.baidu.com/p/9001?pn=2&fr=frs  ", "https://tieba.baidu.com/p/9001?pn=2"),
        ("/relative/path?utm_source=x", "/relative/path?utm_source=x"),  # not absolute: untouched
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_canonical_is_idempotent_and_keeps_real_params() -> None:
    once = canonical_url("http://bbs.x.cn/thread.php?tid=88&page=2&utm_campaign=z")
    assert canonical_url(once) == once == "http://bbs.x.cn/thread.php?page=2&tid=88"
    assert keep_param("tid") and not keep_param("UTM_Source") and not keep_param("spm")


@pytest.mark.parametrize(
    ("cls", "kind"),
    [
        (LayoutChanged, "layout_changed"),
        (Blocked, "blocked"),
        (EmptyPage, "empty_page"),
        (NetworkError, "network"),
    ],
)
def test_error_kinds_and_chinese_messages(cls: type[CrawlError], kind: str) -> None:
    error = cls("详细原因", url="http://x.cn/list")
    assert isinstance(error, CrawlError) and error.kind == kind
    assert "详细原因" in error.message and "http://x.cn/list" in error.message
    assert str(error) == error.message
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error.label)
