"""End to end on the bundled replay site: real Scrapy crawls in subprocesses, the sweep, the CLI output,
and a crawl killed with SIGKILL half-way that loses nothing and stores nothing twice on restart."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tracker.app import load_app
from tracker.db import transaction
from tracker.migrate import upgrade
from tracker.models import Post
from tracker.replay.content import POSTS

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_config(tmp_path: Path, replay_port: int, web_port: int | None = None) -> Path:
    text = (ROOT / "yuqing.example.toml").read_text(encoding="utf-8")
    text = text.replace("replay_port = 8765", f"replay_port = {replay_port}")
    if web_port:
        text = text.replace("port = 8000", f"port = {web_port}").replace(
            "http://127.0.0.1:8000", f"http://127.0.0.1:{web_port}"
        )
    path = tmp_path / "yuqing.toml"
    path.write_text(text, encoding="utf-8")
    return path


def yuqing(config: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tracker.cli", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=config.parent,
    )


def visible_now(section: str) -> int:
    return sum(1 for p in POSTS if p.section == section and p.minute <= 0)


def test_crawl_sweep_and_jsonl(tmp_path: Path) -> None:
    config = make_config(tmp_path, free_port())
    for source in ("临江新闻网", "临江论坛", "临江市长信箱"):
        out = yuqing(config, "crawl", source)
        assert out.returncode == 0, out.stdout + out.stderr
        assert f"{source}：新增" in out.stdout
    again = yuqing(config, "crawl", "临江新闻网")
    assert "新增 0 条" in again.stdout  # incremental: nothing new, nothing doubled
    assert yuqing(config, "sweep").returncode == 0

    posts = [json.loads(x) for x in yuqing(config, "posts", "--format", "jsonl").stdout.splitlines()]
    assert len(posts) == sum(visible_now(s) for s in ("news", "bbs", "board"))
    for p in posts:
        assert {
            "source",
            "url",
            "title",
            "text",
            "published_at",
            "sentiment",
            "category",
            "categories",
            "incident_id",
        } <= set(p)
        assert p["published_at"] is None or p["published_at"].endswith("+08:00")
    gbk = [p for p in posts if "镕城路" in (p["text"] or "")]
    assert gbk, "the GB2312-labelled GBK page must decode"

    incidents = [json.loads(x) for x in yuqing(config, "incidents", "--format", "jsonl").stdout.splitlines()]
    food = [i for i in incidents if "实验小学" in i["title"]]
    assert len(food) == 1 and food[0]["post_count"] >= 4
    kinds = {o["kind"]: o for o in food[0]["obligations"]}
    assert {"权威信息发布", "新闻发布会"} <= set(kinds)
    assert kinds["权威信息发布"]["state"] == "pending"
    alerts = (tmp_path / "var" / "alerts.log").read_text(encoding="utf-8")
    assert "【舆情预警·重大】" in alerts and "距5小时权威信息发布时限还剩" in alerts

    status = json.loads(yuqing(config, "status", "--format", "json").stdout)
    news = next(s for s in status["sources"] if s["name"] == "临江新闻网")
    assert news["last_ok_at"] and news["consecutive_failures"] == 0


def test_sigkill_mid_crawl_loses_nothing_and_doubles_nothing(tmp_path: Path) -> None:
    from tracker.replay.server import ReplayServer

    port = free_port()
    config = make_config(tmp_path, port)
    server = ReplayServer(port, page_delay=0.4).start()
    try:
        app = load_app(str(config))
        upgrade(app.engine)
        env = dict(
            os.environ,
            YUQING_CONFIG=str(config),
            SCRAPY_SETTINGS_MODULE="crawlers.settings",
            YUQING_SCRAPY_HTTPCACHE="false",
        )
        cmd = [sys.executable, "-m", "scrapy", "crawl", "replay", "-a", "source=临江论坛"]
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def stored() -> int:
            with transaction(app.sessions) as session:
                return int(session.scalar(select(func.count()).select_from(Post)) or 0)

        deadline = time.monotonic() + 60
        while stored() < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        partial = stored()
        expected = visible_now("bbs")
        assert 2 <= partial < expected, "the kill must land mid-crawl"
        subprocess.run(cmd, env=env, cwd=ROOT, check=True, timeout=120, capture_output=True)
        with transaction(app.sessions) as session:
            urls = session.scalars(select(Post.url)).all()
        assert len(urls) == len(set(urls)) == expected
    finally:
        server.stop()
