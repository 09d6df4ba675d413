"""The production layout of docs/deployment.md on one machine (issue 8 §1): PostgreSQL, two Scrapyd nodes,
one `yuqing run --no-web` scheduler and the web UI under waitress, each started with the command of its
shipped systemd unit. Round trip: crawl on the nodes → incident → alert in a file channel → a response
logged with `yuqing respond` meets the 5-hour deadline; /healthz answers; a second scheduler is refused."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.deploy.conftest import ROOT, ScrapydNode, clean_env, free_port, local_command, pg_schema, wait_for
from tracker.app import App, load_app
from tracker.clock import SystemClock, to_beijing
from tracker.db import transaction
from tracker.models import CrawlRun, Obligation, Post, SchedulerLock

pytestmark = pytest.mark.slow
SECRET = "layout-test-session-key-0123456789-abcdefghijklmnop"


def layout_config(tmp: Path, db: str, nodes: list[ScrapydNode], replay_port: int, web_port: int) -> Path:
    """The shipped example configuration, pointed at PostgreSQL and the Scrapyd nodes."""
    text = (ROOT / "yuqing.example.toml").read_text(encoding="utf-8")
    urls = ", ".join(f'"{n.config_url}"' for n in nodes)
    for old, new in {
        'url = "sqlite:///var/yuqing.db"': f'url = "{db}"',
        'runner = "local"': f'runner = "scrapyd"\nscrapyd_nodes = [{urls}]',
        "replay_port = 8765": f"replay_port = {replay_port}",
        "port = 8000": f"port = {web_port}",
        "http://127.0.0.1:8000": f"http://127.0.0.1:{web_port}",
    }.items():
        assert old in text, f"yuqing.example.toml changed: {old!r} not found"
        text = text.replace(old, new)
    path = tmp / "yuqing.toml"
    path.write_text(text, encoding="utf-8")
    return path


class Service:
    """A long-running process started like its systemd unit (own process group, log file)."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str], name: str) -> None:
        self.log_path = cwd / f"{name}.log"
        self.log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            args, cwd=cwd, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> int | None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            return self.proc.wait(timeout=30)
        except ProcessLookupError:
            return self.proc.poll()
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)
            return None
        finally:
            self.log.close()


def yuqing(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = local_command("yuqing-scheduler.service")[:1] + list(args)  # the installed `yuqing` script
    return subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read().decode("utf-8"))


@pytest.fixture
def layout(tmp_path: Path) -> Iterator[dict[str, Any]]:
    with pg_schema("yuqing_layout") as db:
        config = tmp_path / "yuqing.toml"
        nodes = [
            ScrapydNode(tmp_path / "n1", config),
            ScrapydNode(tmp_path / "n2", config, auth="yuqing:n0de"),
        ]
        services: list[Service] = []
        try:
            web_port = free_port()
            layout_config(tmp_path, db, nodes, free_port(), web_port)
            env = clean_env(YUQING_CONFIG=str(config), YUQING_SECRET_KEY=SECRET, LANG="C.UTF-8")
            yield {"tmp": tmp_path, "env": env, "nodes": nodes, "web_port": web_port, "services": services}
        finally:
            for service in services:
                service.stop()
            for node in nodes:
                node.stop()


def test_production_layout_round_trip(layout: dict[str, Any]) -> None:
    tmp, env, nodes = layout["tmp"], layout["env"], layout["nodes"]
    upgraded = yuqing(env, tmp, "db", "upgrade")  # the upgrade step of docs/deployment.md
    assert upgraded.returncode == 0 and "数据库已迁移到最新版本" in upgraded.stdout, upgraded.stderr

    scheduler = Service(local_command("yuqing-scheduler.service"), tmp, env, "scheduler")
    web_port = layout["web_port"]
    web = Service(
        local_command("yuqing-web.service", {"127.0.0.1:8000": f"127.0.0.1:{web_port}"}), tmp, env, "web"
    )
    layout["services"] += [scheduler, web]
    app = load_app(str(tmp / "yuqing.toml"))

    health_url = f"http://127.0.0.1:{web_port}/healthz"
    health = wait_for(lambda: _try_json(health_url), 30, f"网页服务 /healthz（{web.log_path}）")
    assert health["database"]["ok"] is True

    alerts = tmp / "var" / "alerts.log"
    wait_for(
        lambda: alerts.exists() and "【舆情预警·重大】" in alerts.read_text(encoding="utf-8"),
        100,
        f"抓取 → 事件 → 告警（调度器日志 {scheduler.log_path}）",
    )
    _check_crawls(app, nodes)

    second = yuqing(env, tmp, "run", "--no-web")  # the scheduler lock keeps a second one off the database
    assert second.returncode == 2 and "另一个调度进程" in second.stderr, second.stdout + second.stderr

    incidents = [
        json.loads(x) for x in yuqing(env, tmp, "incidents", "--format", "jsonl").stdout.splitlines()
    ]
    food = next(i for i in incidents if "实验小学" in i["title"])
    at = (to_beijing(SystemClock().now()) - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    response = yuqing(
        env, tmp, "respond", str(food["id"]), "--form", "通报", "--at", at, "--text", "已成立调查组。"
    )
    assert response.returncode == 0, response.stderr
    assert "满足时限：权威信息发布" in response.stdout and "按时完成" in response.stdout
    with transaction(app.sessions) as session:
        states = dict(
            session.execute(
                select(Obligation.kind, Obligation.state).where(Obligation.incident_id == food["id"])
            ).all()
        )
    assert states["权威信息发布"] == "met"

    health = get_json(health_url)
    assert health["scheduler"]["ok"] is True and health["database"]["ok"] is True
    login = urllib.request.urlopen(f"http://127.0.0.1:{web_port}/login", timeout=10)
    assert login.status == 200 and "登录" in login.read().decode("utf-8")

    assert scheduler.stop() == 0, scheduler.output()[-3000:]
    with transaction(app.sessions) as session:
        assert session.scalar(select(func.count()).select_from(SchedulerLock)) == 0, "lock released on stop"
    app.engine.dispose()


def _try_json(url: str) -> Any:
    try:
        return get_json(url)
    except OSError:
        return None


def _check_crawls(app: App, nodes: list[ScrapydNode]) -> None:
    with transaction(app.sessions) as session:
        runs = session.scalars(select(CrawlRun).where(CrawlRun.finished_at.is_not(None))).all()
        urls = session.scalars(select(Post.url)).all()
    assert runs and all(r.runner == "scrapyd" for r in runs)
    assert {r.node for r in runs} <= {n.node.url for n in nodes}
    assert urls and len(urls) == len(set(urls))
