"""jsonapi, weibo (weibo.cn HTML and m.weibo.cn JSON) and tieba spiders on saved pages."""

from __future__ import annotations

from typing import Any

from scrapy.http import TextResponse

from crawlers.spiders.jsonapi import JsonApiSpider, dig, with_param
from crawlers.spiders.tieba import TiebaSpider
from crawlers.spiders.weibo import WeiboSpider, count
from crawlers.timeparse import parse_time
from tests.crawlers.helpers import FETCHED, make_spider, response, split, stats

API = "http://rx.jiangcheng.gov.cn/api/letters?size=2"
API_FIELDS = {
    "id": "id",
    "title": "title",
    "text": "content",
    "time": "createTime",
    "url": "detailUrl",
    "author": "submitter.nickName",
}
API_CFG: dict[str, Any] = {
    "url": API,
    "items_path": "data.list",
    "fields": API_FIELDS,
    "page_param": "page",
    "max_pages": 3,
}


def json_response(name: str, url: str, page_no: int = 1) -> TextResponse:
    return response(name, url, "application/json", cls=TextResponse, cb_kwargs={"page_no": page_no})


def test_dig_and_with_param() -> None:
    data = {"data": {"rows": [{"id": 1}, {"id": 2}]}}
    assert dig(data, "data.rows.1.id") == 2
    assert dig(data, "data.missing") is not None and dig(data, "data.rows.5") is dig(data, "nope")
    assert with_param("http://x/api?size=2&page=1", "page", 3) == "http://x/api?size=2&page=3"


def test_json_api_items_fields_and_paging() -> None:
    spider = make_spider(JsonApiSpider, API_CFG)
    items, requests = split(spider.parse_entry(json_response("jsonapi_page1.json", API + "&page=1")))
    assert [item["external_id"] for item in items] == ["88001", "88002"]
    first = items[0]
    assert first["url"] == "http://rx.jiangcheng.gov.cn/rx/detail/88001"  # joined, "from" dropped
    assert first["text"] == "滨湖路地铁施工每晚干到凌晨两点，严重影响休息。" and first["author"] == "市民A"
    assert parse_time(first["published_raw"], FETCHED) is not None  # epoch milliseconds
    (next_page,) = requests
    assert next_page.url == API + "&page=2" and next_page.cb_kwargs == {"page_no": 2}


def test_json_api_last_page_and_known_items_stop_paging() -> None:
    spider = make_spider(JsonApiSpider, API_CFG, known=["http://rx.jiangcheng.gov.cn/rx/detail/88003"])
    items, requests = split(spider.parse_entry(json_response("jsonapi_page2.json", API + "&page=2", 2)))
    assert items == [] and requests == []


def test_json_api_url_template_and_wrong_path() -> None:
    cfg = {
        **API_CFG,
        "fields": {**API_FIELDS, "url": "https://rx.jiangcheng.gov.cn/m/#/letter/{id}?v={id}"},
    }
    spider = make_spider(JsonApiSpider, cfg)
    items, _ = split(spider.parse_entry(json_response("jsonapi_page1.json", API)))
    assert items[0]["url"] == "https://rx.jiangcheng.gov.cn/m/"  # fragment routes are not page identity
    broken = make_spider(JsonApiSpider, {**API_CFG, "items_path": "result.records"})
    assert split(broken.parse_entry(json_response("jsonapi_page1.json", API))) == ([], [])
    assert stats(broken)["yuqing/fatal_kind"] == "layout_changed"


WEIBO_CN = "https://weibo.cn/2012345678"


def test_weibo_cn_profile_page() -> None:
    spider = make_spider(WeiboSpider, {"url": WEIBO_CN})
    items, requests = split(spider.parse_entry(response("weibo_cn_profile.html", WEIBO_CN)))
    assert [item["external_id"] for item in items] == ["PdLx7aBcD", "PdKw1xYzQ", "PdF3mN8pR"]
    first = items[0]
    assert first["url"] == "https://weibo.cn/comment/PdLx7aBcD" and first["author"] == "江城发布"
    assert first["text"].startswith("【权威发布】关于滨江路地下通道积水问题的情况通报")
    assert first["metrics"] == {"reposts": 45, "comments": 67, "likes": 128}
    assert [item["published_raw"] for item in items] == ["5分钟前", "今天 08:40", "11月17日 10:14"]
    resolved = [parse_time(item["published_raw"], FETCHED) for item in items]
    assert resolved == [
        parse_time("2026-11-20 09:55", FETCHED),
        parse_time("2026-11-20 08:40", FETCHED),
        parse_time("2026-11-17 10:14", FETCHED),
    ]
    assert [r.url for r in requests] == ["https://weibo.cn/2012345678?page=2"]


def test_m_weibo_cn_json_cards() -> None:
    url = "https://m.weibo.cn/api/container/getIndex?containerid=1076032012345678"
    spider = make_spider(WeiboSpider, {"url": url})
    items, requests = split(
        spider.parse_entry(response("m_weibo_cards.json", url, "application/json", cls=TextResponse))
    )
    assert [item["external_id"] for item in items] == [
        "5227000000000003",
        "5226000000000001",
        "5226900000000000",
    ]
    first, repost, grouped = items
    assert first["url"] == "https://m.weibo.cn/detail/5227000000000003"
    assert (
        first["text"]
        == "【权威发布】关于滨江路地下通道积水问题的情况通报 #江城发布# 通道已恢复通行。\n感谢市民监督。"
    )
    assert parse_time(first["published_raw"], FETCHED) == parse_time("2026-11-20 09:55", FETCHED)
    assert repost["metrics"] == {"reposts": 12000, "comments": 0, "likes": 1000000}
    assert "//转发 @江城市公安局：【警情通报】" in repost["text"]
    assert grouped["author"] == "江城小市民" and grouped["published_raw"] == "3小时前"
    (next_page,) = requests
    assert "since_id=5227000000000001" in next_page.url


def test_weibo_counts() -> None:
    assert [count(v) for v in (12, "12", "1.2万", "100万+", None, "", True)] == [
        12,
        12,
        12000,
        1000000,
        None,
        None,
        None,
    ]


TIEBA = "https://tieba.baidu.com/f?kw=%E6%B1%9F%E5%9F%8E&ie=utf-8"


def test_tieba_list_reads_threads_inside_commented_pagelets() -> None:
    spider = make_spider(
        TiebaSpider, {"url": TIEBA, "max_pages": 2}, known=["https://tieba.baidu.com/p/9001234560"]
    )
    _, requests = split(spider.parse_entry(response("tieba_list.html", TIEBA)))
    urls = [r.url for r in requests]
    assert urls == [
        "https://tieba.baidu.com/p/9001234567",
        "https://tieba.baidu.com/p/9001234571",
        "https://tieba.baidu.com/f?kw=%E6%B1%9F%E5%9F%8E&ie=utf-8&pn=50",
    ]
    assert requests[0].cb_kwargs == {"listed": {"reply_num": 23}}


def test_tieba_thread_first_floor_and_replies() -> None:
    url = "https://tieba.baidu.com/p/9001234567"
    spider = make_spider(TiebaSpider, {"url": TIEBA, "floors": 2})
    page = response("tieba_thread.html", url, role="detail", cb_kwargs={"listed": {"reply_num": 23}})
    items, _ = split(spider.parse_thread(page, listed={"reply_num": 23}))
    first, reply = items
    assert first["title"] == "滨江路地下通道又淹了，有没有人管管" and first["external_id"] == "9001234567"
    assert first["author"] == "江城小市民" and first["metrics"] == {"floors": 23}
    assert first["published_raw"] == "2026-11-20 07:45"  # from the floor's tail
    assert first["text"].startswith("今天早上路过滨江路地下通道") and "\n去年就淹过一次" in first["text"]
    assert (
        reply["url"] == url + "?pid=150000000002"
        and reply["title"] == "回复：滨江路地下通道又淹了，有没有人管管"
    )
    assert reply["published_raw"] == "2026-11-20 08:02" and reply["author"] == "路过的老张"  # from data-field


def test_tieba_default_is_first_floor_only_and_captcha_is_empty() -> None:
    url = "https://tieba.baidu.com/p/9001234567"
    spider = make_spider(TiebaSpider, {"url": TIEBA})
    items, _ = split(spider.parse_thread(response("tieba_thread.html", url, role="detail")))
    assert len(items) == 1
    spider = make_spider(TiebaSpider, {"url": TIEBA})
    assert split(spider.parse_entry(response("weibo_cn_profile.html", TIEBA))) == ([], [])
    assert stats(spider)["yuqing/fatal_kind"] == "layout_changed"
