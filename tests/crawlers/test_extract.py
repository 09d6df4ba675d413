"""Main-text, title and time extraction on saved article pages; config selectors (CSS / XPath)."""

from __future__ import annotations

import pytest
from parsel import Selector

from crawlers.encoding import decode_body
from crawlers.extract import extract_article, find_title, main_text
from crawlers.htmltext import html_to_text, select, select_links, select_text
from crawlers.timeparse import parse_time
from tests.crawlers.helpers import FETCHED, PAGES


def page(name: str) -> Selector:
    text, _ = decode_body((PAGES / name).read_bytes(), None)
    return Selector(text=text)


@pytest.mark.parametrize(
    ("name", "title", "published", "first", "last"),
    [
        (
            "article_gov_gbk.html",
            "关于滨江路地下通道积水问题的情况通报",
            "2026-11-20 10:00",
            "11月19日晚，有网民反映滨江路地下通道因连日降雨出现积水",
            "可拨打12345政务服务便民热线反映。",
        ),
        (
            "article_news_utf8.html",
            "江城一小区业主反映物业费上涨未公示",
            "2026-11-19 21:30",
            "近日，江城市滨湖区锦绣花园小区多名业主向本报反映",
            "本报将持续关注此事进展。",
        ),
        (
            "article_old_gov_gb18030.html",  # table layout, <br> paragraphs, <title> is only the site name
            "江城县关于𠮷祥路片区棚户区改造征收补偿方案的公告",
            "2026-11-16 15:30",
            "根据《国有土地上房屋征收与补偿条例》",
            "联系电话：0000-1234567。",
        ),
        (
            "listing_detail_utf8.html",
            "锦绣花园小区电梯频繁停运 业主盼早日维修",
            "2026-11-19 14:30",
            "近日，滨湖区锦绣花园小区多名居民拨打民生热线反映",
            "并对电梯安全状况进行检验。",
        ),
    ],
)
def test_article_extraction(name: str, title: str, published: str, first: str, last: str) -> None:
    article = extract_article(page(name))
    assert article.title == title
    assert parse_time(article.published_raw, FETCHED) == parse_time(published, FETCHED)
    lines = article.text.split("\n")
    assert lines[0].startswith(first) and lines[-1].endswith(last)
    for noise in (
        "首页",
        "版权所有",
        "相关文章",
        "热门排行",
        "分享",
        "广告",
        "网站标识码",
        "打印本页",
        "栏目导航",
    ):
        assert noise not in article.text, (name, noise)


def test_source_and_author_lines() -> None:
    gov = extract_article(page("article_gov_gbk.html"))
    assert gov.source == "市城市管理局"
    news = extract_article(page("article_news_utf8.html"))
    assert news.author == "记者 李明"
    listing = extract_article(page("listing_detail_utf8.html"))
    assert listing.author == "王小明"  # not "王小明编号：556688"


def test_a_page_without_prose_has_no_main_text() -> None:
    assert main_text(page("portal_links_only.html")) == ""
    assert main_text(Selector(text="<html><body></body></html>")) == ""
    assert find_title(Selector(text="<html><head><title>只有标题</title></head></html>")) == "只有标题"


def test_selectors_css_xpath_text_and_attributes() -> None:
    board = page("msgboard_detail_replied_gbk.html")
    assert select_text(board, "td.xjbt::text") == "锦绣花园小区物业费上涨未公示，请求核查"
    assert select_text(board, "//td[@class='xjbt']/text()") == "锦绣花园小区物业费上涨未公示，请求核查"
    assert select_text(board, "(//td[@class='lxr'])[1]") == "王**"
    assert (select_text(board, "div.dfnr") or "").splitlines()[
        0
    ] == "王先生（女士）："  # elements → block-aware text
    assert select_text(board, "div.nothing-here") is None and select_text(board, None) is None
    listing = page("listing_list_utf8.html")
    assert len(select(listing, "ul.news-list li")) == 3
    assert select_links(listing, "ul.news-list a")[1] == "/msrx/2026/11/19/art_1871_556688.html"
    assert select_links(listing, "ul.news-list li") == select_links(listing, "ul.news-list a")  # li → inner a
    hrefs = select_links(listing, "ul.news-list a::attr(href)")
    assert len(hrefs) == 2 and not any(href.startswith("javascript:") for href in hrefs)


def test_html_to_text() -> None:
    assert html_to_text("<p>第一段</p><p>第二段<br>换行</p><script>x()</script>") == "第一段\n第二段\n换行"
    assert html_to_text("纯文本  多个空格") == "纯文本 多个空格"
    assert html_to_text("") == "" and html_to_text(None) == ""
    assert html_to_text("&lt;b&gt;转义&lt;/b&gt;") == "<b>转义</b>"
