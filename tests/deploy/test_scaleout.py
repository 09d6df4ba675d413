"""Scale-out (issue 3): two Scrapyd nodes on 127.0.0.1 crawl the replay site into one PostgreSQL. Crawls
spread across both nodes, the same source crawled on both at once stores no post twice, a dead or
misconfigured node is skipped, and a crawl that runs too long is killed and recorded as a timeout."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.deploy.conftest import ScrapydNode, free_port, pg_schema, wait_for
from tracker.app import App, load_app
from tracker.catalog import sync_catalog
from tracker.crawl_runner import CrawlSummary, run_crawl
from tracker.db import transaction
from tracker.migrate import upgrade
from tracker.models import CrawlRun, Post, Source
from tracker.replay.content import POSTS
from tracker.replay.server import ReplayServer
from tracker.scrapyd import check_nodes

pytestmark = pytest.mark.slow
SOURCES = {"临江新闻网": "news", "临江论坛": "bbs", "临江市长信箱": "board"}
CONFIG = """
[database]
url = "{db}"

[crawl]
runner = "scrapyd"
scrapyd_nodes = [{nodes}]
replay_port = {replay_port}
timeout_s = 120

[[sources]]
name = "临江新闻网"
kind = "replay"
sections = ["news"]

[[sources]]
name = "临江论坛"
kind = "replay"
sections = ["bbs"]

[[sources]]
name = "临江市长信箱"
kind = "replay"
sections = ["board"]
channel = "msgboard"

[[sources]]
name = "慢速论坛"
kind = "replay"
url = "http://127.0.0.1:{slow_port}/"
sections = ["bbs"]

[[topics]]
name = "校园食品安全"
query = "(食堂 OR 学校) AND (中毒 OR 腹泻 OR 呕吐)"

[[units]]
name = "宣传部"
"""


@dataclass
class Cluster:
    app: App
    config: Path
    nodes: list[ScrapydNode]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    tmp = tmp_path_factory.mktemp("scaleout")
    with pg_schema("yuqing_deploy") as db:
        replay, slow = ReplayServer(free_port()).start(), ReplayServer(free_port(), page_delay=5.0).start()
        config = tmp / "yuqing.toml"
        nodes: list[ScrapydNode] = []
        try:
            # The nodes read the config only when a crawl starts, so it can name their ports afterwards.
            plain, secured = (
                ScrapydNode(tmp / "n1", config),
                ScrapydNode(tmp / "n2", config, auth="yuqing:s3cret"),
            )
            nodes = [plain, secured]
            urls = ", ".join(f'"{n.config_url}"' for n in nodes)
            config.write_text(
                CONFIG.format(db=db, nodes=urls, replay_port=replay.port, slow_port=slow.port),
                encoding="utf-8",
            )
            app = load_app(str(config))
            upgrade(app.engine)
            with transaction(app.sessions) as session:
                sync_catalog(session, app.settings)
            yield Cluster(app, config, nodes)
            app.engine.dispose()
        finally:
            for node in nodes:
                node.stop()
            replay.stop()
            slow.stop()


def _posts(app: App) -> list[tuple[str, int, str | None]]:
    with transaction(app.sessions) as session:
        return [tuple(r) for r in session.execute(select(Post.url, Post.source_id, Post.external_id))]  # type: ignore[misc]


def test_crawls_spread_across_nodes_and_store_nothing_twice(cluster: Cluster) -> None:
    app = cluster.app
    names = list(SOURCES) * 2  # every source crawled twice at the same time, on different nodes
    with ThreadPoolExecutor(len(names)) as pool:
        summaries: list[CrawlSummary] = list(pool.map(lambda n: run_crawl(app, n), names))
    logs = "\n".join(n.crawl_logs() for n in cluster.nodes)
    assert all(s.ok for s in summaries), [s.line() for s in summaries] + [logs[-4000:]]
    labels = {n.node.url for n in cluster.nodes}
    assert {s.node for s in summaries} == labels, "both nodes must get jobs"
    for node in cluster.nodes:
        assert node.jobs()["finished"], f"节点 {node.node.url} 没有完成的任务"

    posts = _posts(app)
    urls = [p[0] for p in posts]
    assert len(urls) == len(set(urls)), "a post stored twice"
    ids = [(p[1], p[2]) for p in posts]
    assert len(ids) == len(set(ids))
    visible = {p.id for p in POSTS if p.minute <= 0}
    assert len(posts) >= len(visible) > 0
    with transaction(app.sessions) as session:
        runs = session.scalars(select(CrawlRun).where(CrawlRun.runner == "scrapyd")).all()
        assert len(runs) == len(names)
        assert all(r.ok and r.finished_at is not None and r.node in labels for r in runs)
        assert not any("s3cret" in r.node for r in runs), "node credentials must not be stored"
        total = session.scalar(select(func.sum(Source.total_posts)))
    assert total == len(posts)


def test_dead_and_unregistered_nodes_are_skipped(
    cluster: Cluster, tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    bare = ScrapydNode(tmp_path / "bare", cluster.config, register_project=False)
    try:
        app = load_app(str(cluster.config))
        good, dead = cluster.nodes[0], f"http://127.0.0.1:{free_port()}"
        app.settings.crawl.scrapyd_nodes = [dead, bare.config_url, good.config_url]
        with caplog.at_level(logging.WARNING, logger="tracker.scrapyd"):
            summary = run_crawl(app, "临江新闻网")
        assert summary.ok, summary.line()
        assert summary.node == good.node.url
        skipped = "\n".join(r.getMessage() for r in caplog.records)
        assert f"节点 {dead} 无法连接" in skipped
        assert f"节点 {bare.node.url} 拒绝请求 schedule.json" in skipped and "[settings]" in skipped

        caplog.clear()  # both failed nodes now rest: the next crawl goes straight to the good one
        with caplog.at_level(logging.WARNING, logger="tracker.scrapyd"):
            again = run_crawl(app, "临江新闻网")
        assert again.ok and again.node == good.node.url and not caplog.records

        problems = check_nodes(app)  # what `python -m tracker.scrapyd` prints
        assert len(problems) == 2
        assert any(dead in p for p in problems) and any(f"{bare.node.url}：未注册项目" in p for p in problems)
        assert f"节点 {good.node.url}：正常" in capsys.readouterr().out
        status = bare.node.call("daemonstatus.json")
        assert status["pending"] == status["running"] == status["finished"] == 0
        app.engine.dispose()
    finally:
        bare.stop()


def test_timeout_kills_the_job_and_records_a_timeout(cluster: Cluster) -> None:
    app = load_app(str(cluster.config))
    app.settings.crawl.timeout_s = 3
    t0 = time.monotonic()
    summary = run_crawl(app, "慢速论坛")
    assert not summary.ok
    assert summary.error is not None and "被终止" in summary.error
    with transaction(app.sessions) as session:
        source = session.scalar(select(Source).where(Source.name == "慢速论坛"))
        assert source is not None and source.last_error_kind == "timeout"
    node = next(n for n in cluster.nodes if n.node.url == summary.node)

    def idle() -> bool:
        jobs = node.jobs()
        return not jobs["running"] and not jobs["pending"]

    wait_for(idle, 15, "节点上的任务被终止")
    # Six detail pages at 5 s each, two at a time, cannot finish in 12 s: the job was killed.
    assert time.monotonic() - t0 < 12
    app.engine.dispose()
