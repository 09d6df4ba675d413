"""The public disclosure page and feed: off by default, only what staff marked public, personal data
masked, never post text."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable

import pytest

from tests.web.conftest import Env, post
from tracker.db import transaction
from tracker.models import Response
from tracker.web.masking import mask_personal


@pytest.mark.parametrize(
    ("text", "hidden", "kept"),
    [
        ("市民王五反映小区积水", "王五", "市民王某反映小区积水"),
        ("联系人：李四，电话13812345678", "13812345678", "138****5678"),
        ("联系电话 +86 138-1234-5678", "1234", "138****5678"),
        ("王小明先生来电", "王小明", "王先生来电"),
        ("身份证号110101199001011234", "110101199001011234", "[证件号已隐藏]"),
        ("身份证11010119900101123X", "11010119900101123X", "[证件号已隐藏]"),
        ("邮箱 zhang.san@example.com", "zhang.san", "[邮箱已隐藏]"),
        ("座机0571-87654321", "8765", "0571-****4321"),
        ("学生家长刘晓红在校门口", "晓红", "学生家长刘某在校门口"),
    ],
)
def test_mask_personal(text: str, hidden: str, kept: str) -> None:
    out = mask_personal(text)
    assert hidden not in out and kept in out


def test_mask_leaves_ordinary_text_alone() -> None:
    text = "市教育局已于11月23日完成全市学校食堂排查，共检查128所学校。"
    assert mask_personal(text) == text


def test_public_page_shows_only_marked_incidents_masked(make_env: Callable[..., Env]) -> None:
    env = make_env(public=True)
    anon = env.client()
    assert "暂无公开内容" in anon.get("/public").get_data(as_text=True)
    duty = env.client("duty")
    summary = "家长张三（13912345678）反映学校食堂卫生问题"
    r = post(duty, f"/incidents/{env.ids.inc_a}/public", {"public": "1", "summary": summary})
    assert r.status_code == 302
    with transaction(env.app.sessions) as s:
        resp = s.get(Response, env.ids.resp_a)
        assert resp is not None
        resp.text = "已联系市民李四（电话13700001111），教育局已介入调查。"
    html = anon.get("/public").get_data(as_text=True)
    assert "张三" not in html and "13912345678" not in html and "139****5678" in html
    assert "李四" not in html and "13700001111" not in html and "教育局已介入调查" in html
    assert "10个工作日内完成排查整改" in html  # the commitment and its state
    assert "实验小学学生呕吐腹泻" not in html  # post titles never appear
    assert "实验小学食堂疑似食物中毒" not in html  # nor the internal incident title
    assert "车库积水" not in html  # not marked public
    feed = anon.get("/public/feed.xml")
    assert feed.headers["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(feed.data)
    entries = root.findall("{http://www.w3.org/2005/Atom}entry")
    assert len(entries) == 1 and "13912345678" not in feed.get_data(as_text=True)


def test_public_needs_a_summary(make_env: Callable[..., Env]) -> None:
    env = make_env(public=True)
    r = post(env.client("duty"), f"/incidents/{env.ids.inc_a}/public", {"public": "1", "summary": ""})
    assert r.status_code == 400 and "摘要" in r.get_data(as_text=True)


def test_public_page_escapes_summary(make_env: Callable[..., Env]) -> None:
    env = make_env(public=True)
    post(
        env.client("duty"),
        f"/incidents/{env.ids.inc_a}/public",
        {"public": "1", "summary": "<script>x()</script>"},
    )
    html = env.client().get("/public").get_data(as_text=True)
    assert "<script>x()" not in html and "&lt;script&gt;x()" in html
    feed = env.client().get("/public/feed.xml")
    ET.fromstring(feed.data)  # still well-formed XML
