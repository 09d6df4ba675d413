"""Real crawls of a local site on 127.0.0.1 in a subprocess (one reactor per process): every source kind,
plus pagination, a 404, a 500 then success, a redirect, robots.txt, a slow page, a layout change, a
captcha page, a 403, an empty body and a timeout — each failure must show up in the source's health."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.crawlers.site import LocalSite

ROOT = Path(__file__).resolve().parents[2]
COOKIE = "SUB=_2A25test; SUBP=0033WrSX"


def crawls(base: str) -> list[dict[str, Any]]:
    board = {
        "item_links": "td.td-title a",
        "title": "td.xjbt::text",
        "text": "div.xjnr",
        "time": "td.lxsj::text",
        "author": "td.lxr::text",
        "external_id": "td.xjbh::text",
        "next_page": "div.pages a.next",
        "reply_text": "div.dfnr",
        "reply_unit": "td.reply-unit::text",
        "reply_time": "td.reply-time::text",
    }
    fields = {"id": "id", "title": "title", "text": "content", "time": "createTime", "url": "detailUrl"}
    return [
        {"kind": "msgboard", "cfg": {"name": "市长信箱", "url": f"{base}/lyb/list.jsp", **board}},
        {"kind": "msgboard", "cfg": {"name": "改版留言板", "url": f"{base}/changed/lyb/list.jsp", **board}},
        {"kind": "feed", "cfg": {"name": "政务要闻", "url": f"{base}/rss.xml", "follow": True}},
        {
            "kind": "jsonapi",
            "cfg": {
                "name": "12345",
                "url": f"{base}/api/letters?size=2",
                "items_path": "data.list",
                "fields": fields,
                "page_param": "page",
                "max_pages": 5,
            },
        },
        {
            "kind": "listing",
            "cfg": {
                "name": "民生热线",
                "url": f"{base}/msrx/index.html",
                "item_links": "ul.news-list a",
                "next_page": "a.next-page",
            },
        },
        {"kind": "article", "cfg": {"name": "新闻", "url": f"{base}/news/content_556601.htm"}},
        {"kind": "tieba", "cfg": {"name": "江城吧", "url": f"{base}/f?kw=jiangcheng", "floors": 2}},
        {
            "kind": "weibo",
            "cfg": {
                "name": "江城发布",
                "url": f"{base}/2012345678",
                "max_pages": 1,
                "cookie_env": "YUQING_TEST_WEIBO_COOKIE",
            },
        },
        {"kind": "listing", "cfg": {"name": "验证码", "url": f"{base}/bbs/list.html", "item_links": "a"}},
        {
            "kind": "jsonapi",
            "cfg": {"name": "被拒", "url": f"{base}/forbidden/api", "items_path": "data", "fields": fields},
        },
        {"kind": "feed", "cfg": {"name": "空白", "url": f"{base}/empty.xml"}},
        {
            "kind": "feed",
            "cfg": {"name": "超时", "url": f"{base}/slow-feed.xml"},
            "settings": {"DOWNLOAD_TIMEOUT": 0.5, "RETRY_TIMES": 1},
        },
    ]


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    out = tmp_path_factory.mktemp("crawl")
    health = out / "health.jl"
    with LocalSite() as site:
        spec = out / "spec.json"
        spec.write_text(json.dumps({"out": str(out), "crawls": crawls(site.base)}), encoding="utf-8")
        env = {
            **os.environ,
            "YUQING_TEST_HEALTH_FILE": str(health),
            "YUQING_TEST_WEIBO_COOKIE": COOKIE,
            "YUQING_TEST_KNOWN": json.dumps([f"{site.base}/msrx/2026/11/20/art_1871_556701.html"]),
        }
        run = subprocess.run(
            [sys.executable, "-m", "tests.crawlers.crawl_runner", str(spec)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode == 0, run.stderr[-3000:]
        items: dict[str, list[dict[str, Any]]] = {}
        for path in out.glob("*.jl"):
            if path.name != "health.jl":
                items[path.stem] = [
                    json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
                ]
        records = [json.loads(line) for line in health.read_text(encoding="utf-8").splitlines()]
        yield {
            "base": site.base,
            "items": items,
            "health": {r["source"]: r for r in records},
            "site": site,
            "log": run.stderr,
        }


pytestmark = pytest.mark.slow


def test_every_source_reported_its_health_once(crawled: dict[str, Any]) -> None:
    assert sorted(crawled["health"]) == sorted(c["cfg"]["name"] for c in crawls(crawled["base"]))


def test_message_board_pagination_retry_redirect_404_robots_and_slow(crawled: dict[str, Any]) -> None:
    base, site = crawled["base"], crawled["site"]
    posts = {item["external_id"]: item for item in crawled["items"]["市长信箱"]}
    assert sorted(posts) == ["20261119001", "20261119002", "20261119003", "20261119555"]
    assert posts["20261119001"]["reply_unit"] == "江城市住房和城乡建设局"  # GBK behind an ISO-8859-1 header
    assert posts["20261119002"]["reply_text"] is None
    assert posts["20261119003"]["url"] == f"{base}/lyb/show.jsp?id=20261119003"  # after the redirect
    assert "镕园小区" in posts["20261119003"]["text"]
    assert site.hits["/lyb/detail.jsp?id=20261119002&from=list"] == 2  # 500, then success on retry
    assert site.hits["/lyb/list.jsp?page=2"] == 1
    assert not any(path.startswith("/lyb/private/") for path in site.hits)  # robots.txt obeyed
    health = crawled["health"]["市长信箱"]
    assert health["ok"] is True and health["error_kind"] is None
    # the 404 and the robots-forbidden detail link are counted, not fatal
    assert health["counts"]["failed"] == 2 and health["counts"]["items"] == 4
    assert posts["20261119001"]["fetched_at"] == "2026-11-20T02:00:00+00:00"


def test_layout_change_captcha_403_empty_and_timeout_are_typed_failures(crawled: dict[str, Any]) -> None:
    health = crawled["health"]
    expected = {
        "改版留言板": "layout_changed",
        "验证码": "blocked",
        "被拒": "blocked",
        "空白": "empty_page",
        "超时": "network",
    }
    for source, kind in expected.items():
        assert health[source]["ok"] is False, source
        assert health[source]["error_kind"] == kind, (source, health[source])
        assert health[source]["message"] and any(
            "\u4e00" <= ch <= "\u9fff" for ch in health[source]["message"]
        )
        assert crawled["items"].get(source, []) == []
    assert "td.td-title a" in health["改版留言板"]["message"]
    assert "百度安全验证" in health["验证码"]["message"] and "403" in health["被拒"]["message"]


def test_feed_follow_and_json_api_paging(crawled: dict[str, Any]) -> None:
    feed = crawled["items"]["政务要闻"]
    assert len(feed) == 3 and all("排水管理处处长张堃带队督办" in item["text"] for item in feed)
    assert crawled["health"]["政务要闻"]["ok"] is True
    api = crawled["items"]["12345"]
    assert [item["external_id"] for item in api] == ["88001", "88002", "88003"]
    assert crawled["site"].hits["/api/letters?size=2&page=3"] == 1  # empty page ends paging
    assert "/api/letters?size=2&page=4" not in crawled["site"].hits


def test_listing_skips_stored_detail_pages(crawled: dict[str, Any]) -> None:
    items = crawled["items"]["民生热线"]
    assert [item["url"] for item in items] == [f"{crawled['base']}/msrx/2026/11/19/art_1871_556688.html"]
    assert not any("556701" in path for path in crawled["site"].hits)
    assert crawled["health"]["民生热线"]["counts"]["skipped_known"] == 1


def test_article_tieba_and_weibo_with_login_cookie(crawled: dict[str, Any]) -> None:
    (article,) = crawled["items"]["新闻"]
    assert article["title"] == "江城一小区业主反映物业费上涨未公示"
    tieba = crawled["items"]["江城吧"]
    assert len(tieba) == 3 * 2  # three threads listed, first floor + one reply each
    weibo = crawled["items"]["江城发布"]
    assert [item["external_id"] for item in weibo] == ["PdLx7aBcD", "PdKw1xYzQ", "PdF3mN8pR"]
    (request_headers,) = crawled["site"].headers["/2012345678"]
    assert "SUB=_2A25test" in request_headers.get("Cookie", "")
    assert "SUB=_2A25test" not in str(crawled["site"].headers["/f?kw=jiangcheng"])
    assert "YUQING_TEST_WEIBO_COOKIE" in crawled["log"]
