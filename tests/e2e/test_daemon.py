"""`yuqing run` as a user starts it: within two minutes posts, an incident with a 5-hour and a 24-hour
deadline, and an alert line; the web UI answers. Then SIGKILL (daemon and its crawl children, mid-crawl)
and a restart: no stored post lost, none stored twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.e2e.test_replay_e2e import free_port, make_config, visible_now
from tracker.app import load_app
from tracker.db import transaction
from tracker.models import Obligation, Post

pytestmark = pytest.mark.slow


def start(config: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, YUQING_SECRET_KEY="test-secret-key-for-the-daemon-test-0123456789")
    log = (config.parent / "daemon.log").open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "tracker.cli", "--config", str(config), "run"],
        cwd=config.parent,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_for(check, timeout: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"等待超时：{what}")


def crawl_children(pgid: int) -> list[str]:
    out = subprocess.run(["ps", "-o", "pgid=,args=", "-e"], capture_output=True, text=True, check=True).stdout
    return [
        line for line in out.splitlines() if line.split(None, 1)[0] == str(pgid) and "scrapy crawl" in line
    ]


def test_daemon_shows_work_and_survives_sigkill(tmp_path: Path) -> None:
    web_port = free_port()
    config = make_config(tmp_path, free_port(), web_port)
    app = load_app(str(config))
    proc = start(config)
    try:

        def counts() -> tuple[int, int]:
            try:
                with transaction(app.sessions) as session:
                    posts = int(session.scalar(select(func.count()).select_from(Post)) or 0)
                    obs = session.scalars(select(Obligation.kind)).all()
                return posts, len(obs)
            except Exception:
                return 0, 0

        wait_for(lambda: counts()[0] >= 1 and crawl_children(proc.pid), 60, "第一批帖子")
        assert crawl_children(proc.pid), "a crawl must be running when the daemon is killed"
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        killed_at = counts()[0]

        proc = start(config)
        expected = sum(visible_now(s) for s in ("news", "bbs", "board"))
        wait_for(lambda: counts()[0] >= expected, 100, "重启后抓取完所有帖子")
        with transaction(app.sessions) as session:
            urls = session.scalars(select(Post.url)).all()
        assert len(urls) == len(set(urls)) >= killed_at

        def deadlines() -> set[str]:
            with transaction(app.sessions) as session:
                return set(session.scalars(select(Obligation.kind)))

        kinds = wait_for(
            lambda: {"权威信息发布", "新闻发布会"} <= deadlines() and deadlines(), 90, "5小时与24小时时限"
        )
        assert {"权威信息发布", "新闻发布会"} <= kinds
        alerts = tmp_path / "var" / "alerts.log"
        wait_for(
            lambda: alerts.exists() and "【舆情预警·重大】" in alerts.read_text(encoding="utf-8"), 90, "告警"
        )
        health = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{web_port}/healthz", timeout=10).read())
        assert health
        page = urllib.request.urlopen(f"http://127.0.0.1:{web_port}/login", timeout=10).read().decode()
        assert "登录" in page
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)
