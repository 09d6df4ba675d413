"""The Scrapyd runner without Scrapyd: node URLs with credentials, and every node down recorded as a
network failure of the source (a Chinese message, no traceback, the CrawlRun closed)."""

from __future__ import annotations

import base64
from pathlib import Path

from sqlalchemy import select

from tests.conftest import make_app
from tests.deploy.conftest import free_port
from tracker import ingest
from tracker.crawl_runner import run_crawl
from tracker.db import transaction
from tracker.models import CrawlRun, Source
from tracker.scrapyd import Node


def test_node_url_credentials_become_a_header_and_never_the_label() -> None:
    node = Node.parse("http://yuqing:p%40ss@10.0.0.21:6800/")
    assert node.url == "http://10.0.0.21:6800"
    assert node.auth == "Basic " + base64.b64encode(b"yuqing:p@ss").decode()
    assert Node.parse("https://crawl.example.gov.cn/scrapyd").url == "https://crawl.example.gov.cn/scrapyd"
    assert Node.parse("http://127.0.0.1:6800").auth is None


def test_all_nodes_down_is_a_network_failure_of_the_source(tmp_path: Path) -> None:
    dead = [f"http://127.0.0.1:{free_port()}", f"http://127.0.0.1:{free_port()}"]
    nodes = ", ".join(f'"{u}"' for u in dead)
    app = make_app(
        tmp_path,
        f"sqlite:///{tmp_path / 'y.db'}",
        f'\n[crawl]\nrunner = "scrapyd"\nscrapyd_nodes = [{nodes}]\n',
    )
    ingest.configure(app)
    try:
        summary = run_crawl(app, "新闻")
    finally:
        ingest.configure(None)
    assert not summary.ok
    assert summary.error is not None and summary.error.startswith("所有 Scrapyd 节点都不可用")
    assert all(f"节点 {u} 无法连接" in summary.error for u in dead)
    assert "Traceback" not in summary.error
    with transaction(app.sessions) as session:
        source = session.scalar(select(Source).where(Source.name == "新闻"))
        assert source is not None
        assert (source.last_error_kind, source.consecutive_failures) == ("network", 1)
        run = session.scalar(select(CrawlRun))
        assert run is not None
        assert (run.runner, run.ok, run.node) == ("scrapyd", False, "")
        assert run.finished_at is not None and run.error == summary.error
    app.engine.dispose()
