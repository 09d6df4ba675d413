"""feed and article spiders on saved pages in their real encodings."""

from __future__ import annotations

import asyncio
from typing import Any

from crawlers.spiders.article import ArticleSpider
from crawlers.spiders.feed import FeedSpider
from crawlers.timeparse import parse_time
from tests.crawlers.helpers import FETCHED, make_spider, response, split, stats, xml_response

FEED_URL = "http://www.jiangcheng.gov.cn/rss/zwyw.xml"


def collect_start(spider: Any) -> list[Any]:
    async def run() -> list[Any]:
        return [request async for request in spider.start()]

    return asyncio.run(run())


def test_rss2_labelled_gb2312_with_gbk_bytes() -> None:
    spider = make_spider(FeedSpider, {"url": FEED_URL})
    items, requests = split(spider.parse_entry(xml_response("feed_rss2_gb2312_label.xml", FEED_URL)))
    assert requests == []
    assert [item["title"] for item in items] == [
        "市政府召开常务会议 研究部署冬季供暖保障工作",
        "关于朱镕基同志题词碑修缮工程的公示",
        "江城市2026年第三季度食品安全抽检结果通报",
    ]
    first = items[0]
    assert first["source"] == "测试来源" and first["fetched_at"] == FETCHED
    # tracking parameters dropped, HTML stripped from the description, guid kept as the site's id
    assert first["url"] == "http://www.jiangcheng.gov.cn/zwyw/202611/t20261120_81234.html"
    assert first["external_id"] == "81234" and first["author"] == "市政府办公室"
    assert "市长王喆主持召开" in first["text"] and "<b>" not in first["text"]
    assert "张堃" in items[1]["text"]
    times = [parse_time(item["published_raw"], FETCHED) for item in items]
    assert all(t is not None for t in times)


def test_rss2_undeclared_gbk_served_as_utf8_is_still_read() -> None:
    spider = make_spider(FeedSpider, {"url": FEED_URL})
    resp = xml_response("feed_rss2_undeclared_gbk.xml", FEED_URL, content_type="text/xml; charset=utf-8")
    items, _ = split(spider.parse_entry(resp))
    assert items[0]["title"] == "滨江路地下通道暴雨后积水严重 市民涉水通行"
    assert items[1]["url"] == "http://news.jiangcheng.cn/shehui/2026-11/19/content_556601.htm"


def test_rss1_rdf_gb18030_and_atom() -> None:
    spider = make_spider(FeedSpider, {"url": FEED_URL})
    rdf, _ = split(spider.parse_entry(xml_response("feed_rdf_gb18030.xml", FEED_URL)))
    assert rdf[0]["title"] == "关于𠮷山路施工期间交通管制的通告" and rdf[0]["author"] == "市公安局交警支队"
    assert rdf[0]["published_raw"] == "2026-11-20T08:00:00+08:00"
    atom, _ = split(spider.parse_entry(xml_response("feed_atom_utf8.xml", FEED_URL)))
    assert atom[0]["title"] == "权威发布：关于滨江路地下通道积水问题的情况通报"  # type="html" title unescaped
    assert atom[0]["url"] == "http://fabu.jiangcheng.gov.cn/post/7781.html"  # fragment dropped
    assert atom[0]["text"].startswith("针对网民反映的滨江路地下通道积水问题，市城管局已连夜组织抽排。")
    assert atom[1]["published_raw"] == "2026-11-19T17:00:00Z" and atom[1]["author"] is None


def test_follow_fetches_only_unknown_item_pages_then_extracts_full_text() -> None:
    known = ["http://www.jiangcheng.gov.cn/zwyw/202611/t20261119_81201.html"]
    spider = make_spider(FeedSpider, {"url": FEED_URL, "follow": True}, known=known)
    items, requests = split(spider.parse_entry(xml_response("feed_rss2_gb2312_label.xml", FEED_URL)))
    assert items == [] and len(requests) == 2
    assert all(r.meta["yuqing_role"] == "detail" for r in requests)
    assert stats(spider)["yuqing/skipped_known"] == 1
    entry = requests[0].cb_kwargs["entry"]
    page = response("article_gov_gbk.html", requests[0].url, role="detail", cb_kwargs={"entry": entry})
    callback: Any = requests[0].callback
    full, _ = split(callback(page, **requests[0].cb_kwargs))
    assert "排水管理处处长张堃带队督办" in full[0]["text"]
    assert full[0]["title"] == entry["title"]


def test_a_html_page_where_the_feed_was_is_a_layout_change() -> None:
    spider = make_spider(FeedSpider, {"url": FEED_URL})
    items, _ = split(spider.parse_entry(response("article_news_utf8.html", FEED_URL)))
    assert items == []
    assert stats(spider)["yuqing/fatal_kind"] == "layout_changed"


def test_article_pages_direct_and_gov_patterns() -> None:
    url = "http://www.jiangcheng.gov.cn/zwyw/202611/t20261120_81300.html"
    spider = make_spider(ArticleSpider, {"url": url})
    (request,) = collect_start(spider)
    items, _ = split(request.callback(response("article_gov_gbk.html", url)))
    (item,) = items
    assert item["title"] == "关于滨江路地下通道积水问题的情况通报"
    assert item["published_raw"] == "2026-11-20 10:00"
    assert item["text"].startswith("11月19日晚，有网民反映") and "朱镕军" in item["text"]
    assert "网站标识码" not in item["text"] and "相关文章" not in item["text"]


def test_article_already_stored_is_not_requested() -> None:
    url = "http://news.jiangcheng.cn/shehui/2026-11/19/content_556601.htm"
    spider = make_spider(ArticleSpider, {"url": url + "?utm_source=wechat"}, known=[url])
    assert collect_start(spider) == []


def test_article_list_page_with_link_selector() -> None:
    list_url = "http://news.binhu.cn/msrx/index.html"
    spider = make_spider(ArticleSpider, {"url": list_url, "link_selector": "ul.news-list a", "max_pages": 1})
    _, requests = split(spider.parse_entry(response("listing_list_utf8.html", list_url)))
    assert [r.url for r in requests] == [
        "http://news.binhu.cn/msrx/2026/11/20/art_1871_556701.html?spm=zm1033.list"
    ]
    items, _ = split(spider.parse_article(response("article_news_utf8.html", requests[0].url, role="detail")))
    assert items[0]["url"] == "http://news.binhu.cn/msrx/2026/11/20/art_1871_556701.html"
    assert items[0]["author"] == "记者 李明" and items[0]["published_raw"] == "2026-11-19T21:30:00+08:00"


def test_article_page_without_text_is_a_layout_change() -> None:
    url = "http://www.jiangcheng.gov.cn/"
    spider = make_spider(ArticleSpider, {"url": url})
    items, _ = split(spider.parse_article(response("portal_links_only.html", url)))
    assert items == [] and stats(spider)["yuqing/fatal_kind"] == "layout_changed"
