"""Bad pages through the crawler's reading path: ``crawlers.encoding.decode_body`` → parsel ``Selector`` →
``crawlers.extract.extract_article`` → ``crawlers.timeparse.parse_time`` (as crawlers/spiders/common.py and
article.py do). Random bytes, truncated pages, wrong and bogus charsets, zero-width and control characters
(hypothesis, in-process under a time limit) and 10 MB and deeply nested pages (in a child process that is
killed after a timeout): the page is read or fails with a clear error, never hangs.
"""

from __future__ import annotations

import codecs
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from parsel import Selector

from crawlers.encoding import decode_body
from crawlers.extract import Article, extract_article
from crawlers.timeparse import parse_time
from tests.reliability.guard import run_child, time_limit

FETCHED = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
CHARSETS = [
    None,
    "utf-8",
    "UTF8",
    "gbk",
    "gb2312",
    "GB18030",
    "big5",
    "iso-8859-1",
    "latin1",
    "utf-16",
    "ascii",
]
BOGUS_CHARSETS = ["", "x-no-such-charset", "utf-8\x00", "编码", "gb2312;q=0.5", "../../etc/passwd", "u" * 300]
PARA = "市民反映建设路与人民路交叉口雨后积水严重，电动车熄火，希望有关部门尽快疏通排水管道。"
NOISE = [
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\u202e",
    "\x00",
    "\x07",
    "\x0b",
    "\x1b",
    "\x7f",
    "\ufffd",
]
FRAGMENTS = [
    "<html>", "<head>", "<title>", "</title>", "<meta charset=\"gbk\">", "<meta charset=\"utf-8\">",
    "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=big5\">", "<meta name=\"PubDate\" content=\"",
    "2026-11-23 10:00", "\">", "<body>", "<div class=\"TRS_Editor\">", "<div class=\"nav\">", "<div>", "</div>",
    "<p>", "</p>", "<a href=\"/x\">", "</a>", "<script>", "</script>", "<style>", "</style>", "<!--", "-->",
    "<![CDATA[", "]]>", "<table><tr><td>", "</td></tr></table>", "<br>", "&nbsp;", "&#x4e2d;", "&#99999999;",
    "&amp", "发布时间：", "来源：", "作者：", "<h1>", "</h1>", "<", ">", "\"", "'", "=", PARA, "建设路积水", " ",
]  # fmt: skip


def read_page(body: bytes, charset: str | None) -> Article:
    text, encoding = decode_body(body, charset)
    assert isinstance(text, str) and codecs.lookup(encoding)
    article = extract_article(Selector(text=text, type="html", base_url="http://127.0.0.1/page.html"))
    assert isinstance(article.text, str) and (article.title is None or isinstance(article.title, str))
    published = parse_time(article.published_raw, FETCHED)
    assert published is None or published.utcoffset() == timedelta(0)
    return article


@st.composite
def pages(draw: st.DrawFn) -> bytes:
    parts = draw(st.lists(st.sampled_from(FRAGMENTS + NOISE) | st.text(max_size=6), max_size=120))
    html = "".join(parts)
    encoding = draw(st.sampled_from(["utf-8", "gbk", "gb18030", "big5", "utf-16", "latin-1"]))
    body = html.encode(encoding, errors=draw(st.sampled_from(["ignore", "replace", "xmlcharrefreplace"])))
    cut = draw(st.integers(0, len(body)))  # truncated anywhere, even inside a multi-byte character
    return body[:cut] if draw(st.booleans()) else body


CHECKED = settings(
    max_examples=120, deadline=timedelta(seconds=2), suppress_health_check=[HealthCheck.too_slow]
)


@CHECKED
@given(body=st.binary(max_size=4000) | pages(), charset=st.sampled_from(CHARSETS + BOGUS_CHARSETS))
def test_any_page_is_read_without_error(body: bytes, charset: str | None) -> None:
    with time_limit(10):
        read_page(body, charset)


def test_zero_width_and_control_characters_do_not_hide_the_text() -> None:
    noisy = "".join(ch + NOISE[i % len(NOISE)] for i, ch in enumerate(PARA * 3))
    body = f"<html><body><div class='TRS_Editor'><p>{noisy}</p></div></body></html>".encode()
    article = read_page(body, "utf-8")
    assert "建" in article.text and "积" in article.text


def test_a_mislabelled_gbk_page_is_still_read_as_chinese() -> None:
    body = f"<html><body><div class='article'><p>{PARA * 4}</p></div></body></html>".encode("gbk")
    article = read_page(body, "utf-8")  # the server says UTF-8; the bytes are GBK
    assert PARA in article.text


# ---- big and deep pages, in a child process ------------------------------------------------------------

CHILD = """
import json, random
from parsel import Selector
from crawlers.encoding import decode_body
from crawlers.extract import extract_article
PARA = {para!r}
recipes = {{
    "10 MB UTF-8": lambda: ("<html><head><title>建设路积水</title></head><body><div class='TRS_Editor'>"
                           + ("<p>" + PARA + "</p>") * 75000 + "</div></body></html>").encode(),
    "10 MB GBK, labelled in the page only": lambda: ("<html><head><meta charset='gbk'><title>建设路积水</title></head>"
                           "<body>" + ("<p>" + PARA + "</p>") * 110000 + "</body></html>").encode("gbk"),
    "1 MB of random bytes": lambda: random.Random(8).randbytes(1024 * 1024),  # a binary file as text/html
    "100k nested divs": lambda: ("<html><body>" + "<div>" * 100000 + "<p>" + PARA + "</p>"
                                 + "</div>" * 100000 + "</body></html>").encode(),
    "100k unclosed tables": lambda: ("<table>" * 100000 + PARA).encode(),
}}
body = recipes[{recipe!r}]()
text, encoding = decode_body(body, None)
try:
    article = extract_article(Selector(text=text, type="html", base_url="http://127.0.0.1/"))
    print(json.dumps({{"ok": True, "size": len(body), "encoding": encoding, "text": len(article.text),
                      "title": article.title}}))
except Exception as exc:
    print(json.dumps({{"ok": False, "error": type(exc).__name__, "message": str(exc)[:300]}}))
"""


@pytest.mark.slow
@pytest.mark.parametrize(
    ("recipe", "timeout"),
    [
        ("10 MB UTF-8", 40),
        ("10 MB GBK, labelled in the page only", 40),
        # These raised RecursionError before crawlers/htmltext.py walked the tree iteratively.
        ("100k nested divs", 40),
        ("100k unclosed tables", 40),
        # A tenth of the size of the pages above: anything slower than 8 s is a near-hang for a crawl.
        pytest.param("1 MB of random bytes", 8),
    ],
)
def test_big_and_deep_pages_finish_in_time(recipe: str, timeout: float) -> None:
    result = run_child(CHILD.format(para=PARA, recipe=recipe), timeout=timeout)
    assert result["ok"], result
    if recipe.startswith("10 MB"):
        assert result["size"] >= 9_000_000 and result["text"] > 3_000_000
        assert result["title"] == "建设路积水"
    # Past libxml2's depth limit the parser drops the content, so a 100k-deep page may come back with no
    # text: the spider then reports the page as empty, which is a clear error rather than a crash.
