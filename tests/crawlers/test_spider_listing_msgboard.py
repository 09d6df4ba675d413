"""listing and msgboard spiders on saved pages (GBK message board labelled gb2312, UTF-8 news site)."""

from __future__ import annotations

from crawlers.spiders.listing import ListingSpider
from crawlers.spiders.msgboard import MessageBoardSpider
from crawlers.timeparse import parse_time
from tests.crawlers.helpers import FETCHED, make_spider, response, split, stats

BOARD = "http://www.jiangcheng.gov.cn/lyb/list.jsp"
BOARD_CFG = {
    "url": BOARD,
    "board": "市长信箱",
    "item_links": "td.td-title a",
    "title": "td.xjbt::text",
    "text": "div.xjnr",
    "time": "td.lxsj::text",
    "author": "td.lxr::text",
    "external_id": "td.xjbh::text",
    "next_page": "div.pages a.next",
    "max_pages": 3,
    "reply_text": "div.dfnr",
    "reply_unit": "td.reply-unit::text",
    "reply_time": "td.reply-time::text",
}
DETAIL = "http://www.jiangcheng.gov.cn/lyb/detail.jsp?id={}&from=list"


def test_board_list_page_yields_unknown_details_and_the_next_page() -> None:
    known = ["http://www.jiangcheng.gov.cn/lyb/detail.jsp?id=20261119002"]  # canonical (no "from")
    spider = make_spider(MessageBoardSpider, BOARD_CFG, known=known)
    items, requests = split(spider.parse_entry(response("msgboard_list_p1_gbk.html", BOARD)))
    assert items == []
    assert [r.url for r in requests] == [DETAIL.format("20261119001"), BOARD + "?page=2"]
    assert [r.meta["yuqing_role"] for r in requests] == ["detail", "list"]
    assert requests[1].cb_kwargs == {"page_no": 2}
    assert stats(spider)["yuqing/skipped_known"] == 1


def test_paging_stops_at_max_pages_and_when_everything_is_known() -> None:
    spider = make_spider(MessageBoardSpider, {**BOARD_CFG, "max_pages": 2})
    _, requests = split(spider.parse_entry(response("msgboard_list_p1_gbk.html", BOARD), page_no=2))
    assert all(r.meta["yuqing_role"] == "detail" for r in requests)
    known = [DETAIL.format(n).split("&")[0] for n in ("20261119001", "20261119002")]
    spider = make_spider(MessageBoardSpider, BOARD_CFG, known=known)
    _, requests = split(spider.parse_entry(response("msgboard_list_p1_gbk.html", BOARD)))
    assert requests == []


def test_message_with_official_reply() -> None:
    spider = make_spider(MessageBoardSpider, BOARD_CFG)
    url = DETAIL.format("20261119001")
    (item,), _ = split(spider.parse_detail(response("msgboard_detail_replied_gbk.html", url, role="detail")))
    assert item["url"] == "http://www.jiangcheng.gov.cn/lyb/detail.jsp?id=20261119001"
    assert item["title"] == "锦绣花园小区物业费上涨未公示，请求核查"
    assert item["external_id"] == "20261119001" and item["author"] == "王**"
    assert item["text"].startswith("市长您好：\n") and "电梯经常停运" in item["text"]
    assert "经核查" not in item["text"]  # the reply is not the message
    assert item["reply_unit"] == "江城市住房和城乡建设局"
    assert item["reply_text"].startswith("王先生（女士）：") and "12月15日前完成整改" in item["reply_text"]
    assert parse_time(item["reply_raw_time"], FETCHED) == parse_time("2026-11-19 16:20", FETCHED)
    assert parse_time(item["published_raw"], FETCHED) == parse_time("2026-11-15 09:12:33", FETCHED)


def test_message_without_reply_yet_and_gbk_only_characters() -> None:
    spider = make_spider(MessageBoardSpider, BOARD_CFG)
    (unreplied,), _ = split(
        spider.parse_detail(response("msgboard_detail_unreplied_gbk.html", DETAIL.format(2), role="detail"))
    )
    assert unreplied["reply_text"] is None and unreplied["reply_unit"] is None
    assert unreplied["reply_raw_time"] is None
    (other,), _ = split(
        spider.parse_detail(response("msgboard_detail_1003_gbk.html", DETAIL.format(3), role="detail"))
    )
    assert "镕园小区" in other["text"] and "镕园小区" in other["reply_text"]


def test_redesigned_board_is_a_layout_change_not_silence() -> None:
    spider = make_spider(MessageBoardSpider, BOARD_CFG)
    items, requests = split(spider.parse_entry(response("msgboard_list_redesigned_gbk.html", BOARD)))
    assert items == [] and requests == []
    assert stats(spider)["yuqing/fatal_kind"] == "layout_changed"
    assert "td.td-title a" in stats(spider)["yuqing/fatal_message"]


def test_detail_without_text_is_a_layout_change() -> None:
    spider = make_spider(MessageBoardSpider, {**BOARD_CFG, "text": "div.letter-body"})
    items, _ = split(
        spider.parse_detail(response("msgboard_detail_replied_gbk.html", DETAIL.format(1), role="detail"))
    )
    assert items == [] and stats(spider)["yuqing/fatal_kind"] == "layout_changed"


LIST = "http://news.binhu.cn/msrx/index.html"
XPATH_CFG = {
    "url": LIST,
    "item_links": "//ul[@class='news-list']/li/a/@href",
    "title": "//h1[@class='art-title']/text()",
    "text": "//div[@id='art-body']",
    "time": "//span[@class='art-time']/text()",
    "author": "(//span[@class='art-author'])[1]/text()",
    "external_id": "//span[@class='art-id']/@data-id",
    "next_page": "//a[@class='next-page']",
}


def test_listing_with_xpath_selectors() -> None:
    spider = make_spider(ListingSpider, XPATH_CFG)
    _, requests = split(spider.parse_entry(response("listing_list_utf8.html", LIST)))
    assert [r.url for r in requests] == [
        "http://news.binhu.cn/msrx/2026/11/20/art_1871_556701.html?spm=zm1033.list",
        "http://news.binhu.cn/msrx/2026/11/19/art_1871_556688.html",
        "http://news.binhu.cn/msrx/index_2.html",
    ]  # the javascript: link is ignored
    detail = requests[1].url
    (item,), _ = split(spider.parse_detail(response("listing_detail_utf8.html", detail, role="detail")))
    assert item["title"] == "锦绣花园小区电梯频繁停运 业主盼早日维修"
    assert item["external_id"] == "556688" and item["author"] == "作者：王小明"
    assert parse_time(item["published_raw"], FETCHED) == parse_time("2026-11-19 14:30", FETCHED)
    assert item["text"].count("\n") == 2 and "分享" not in item["text"]


def test_listing_without_text_selector_falls_back_to_extraction() -> None:
    cfg = {"url": LIST, "item_links": "ul.news-list a"}
    spider = make_spider(ListingSpider, cfg)
    (item,), _ = split(spider.parse_detail(response("listing_detail_utf8.html", LIST, role="detail")))
    assert item["title"] == "锦绣花园小区电梯频繁停运 业主盼早日维修"
    assert item["published_raw"] == "2026年11月19日 14:30"
    assert item["text"].startswith("近日，滨湖区锦绣花园小区")


def test_missing_required_key_is_a_clear_chinese_error() -> None:
    spider = make_spider(ListingSpider, {"url": LIST})
    try:
        list(spider.parse_entry(response("listing_list_utf8.html", LIST)))
    except ValueError as error:
        assert "item_links" in str(error) and "缺少配置项" in str(error)
    else:
        raise AssertionError("a listing source without item_links must be refused")
