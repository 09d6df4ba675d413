"""A message board configured by selectors alone: crawled through `yuqing crawl`; after its layout changes,
each crawl records `layout_changed` and the third consecutive failure raises one source-failure alert."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.crawlers.site import LocalSite
from tests.e2e.test_replay_e2e import yuqing

pytestmark = pytest.mark.slow

BOARD = """
[[sources]]
name = "{name}"
kind = "msgboard"
url = "{url}"
channel = "msgboard"
reply_days = 5
item_links = "td.td-title a"
title = "td.xjbt::text"
text = "div.xjnr"
time = "td.lxsj::text"
author = "td.lxr::text"
external_id = "td.xjbh::text"
next_page = "div.pages a.next"
reply_text = "div.dfnr"
reply_unit = "td.reply-unit::text"
reply_time = "td.reply-time::text"
"""


def config(tmp_path: Path, base: str) -> Path:
    text = (
        '[database]\nurl = "sqlite:///var/y.db"\n[crawl]\nfailure_alert_after = 3\nobey_robots = true\n'
        + BOARD.format(name="市长信箱", url=f"{base}/lyb/list.jsp")
        + BOARD.format(name="改版留言板", url=f"{base}/changed/lyb/list.jsp")
        + '\n[alerts.channels."日志"]\nurl = "file://var/alerts.jsonl"\n'
        + '\n[[alerts.routes]]\nname = "值班室"\nchannels = ["日志"]\n'
    )
    path = tmp_path / "yuqing.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_board_by_config_and_layout_change_alert(tmp_path: Path) -> None:
    with LocalSite() as site:
        cfg = config(tmp_path, site.base)
        ok = yuqing(cfg, "crawl", "市长信箱")
        assert ok.returncode == 0, ok.stdout + ok.stderr
        assert "新增" in ok.stdout
        for _attempt in range(3):
            bad = yuqing(cfg, "crawl", "改版留言板")
            assert bad.returncode == 1 and "页面结构" in bad.stdout, bad.stdout
        yuqing(cfg, "sweep")
        status = json.loads(yuqing(cfg, "status", "--format", "json").stdout)
    board = next(s for s in status["sources"] if s["name"] == "改版留言板")
    assert board["last_error_kind"] == "layout_changed" and board["consecutive_failures"] == 3
    assert "td.td-title a" in board["last_error"]
    good = next(s for s in status["sources"] if s["name"] == "市长信箱")
    assert good["consecutive_failures"] == 0 and good["total_posts"] >= 1
    alerts = [
        json.loads(x) for x in (tmp_path / "var" / "alerts.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    failures = [a for a in alerts if str(a["title"]).startswith("【采集异常】改版留言板")]
    assert len(failures) == 1 and "连续失败3次" in str(failures[0]["title"])
    posts = [json.loads(x) for x in yuqing(cfg, "posts", "--format", "jsonl").stdout.splitlines()]
    assert posts and all(p["source"] == "市长信箱" for p in posts)
