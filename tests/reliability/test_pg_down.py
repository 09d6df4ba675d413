"""PostgreSQL goes away in the middle of a crawl and comes back: the crawl reports the failure, nothing
is half-written, and the next crawl stores the rest with no duplicates.

The database is a throwaway cluster of our own (tests/reliability/pgcluster.py), never the shared server.
The crawl is the real one: ``yuqing crawl`` → ``python -m scrapy crawl replay`` against the replay site,
slowed down so the database can be crashed (``pg_ctl stop -m immediate``) after the first posts are in.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from tests.e2e.test_replay_e2e import make_config, visible_now
from tests.reliability.pgcluster import ThrowawayCluster, free_port, unavailable_reason
from tracker.app import App, load_app
from tracker.db import transaction
from tracker.migrate import upgrade
from tracker.models import CrawlRun, Incident, Post, Source
from tracker.replay.server import ReplayServer

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(bool(unavailable_reason()), reason=str(unavailable_reason())),
]
ROOT = Path(__file__).resolve().parents[2]
SOURCE = "临江论坛"  # the replay site's bbs section


@pytest.fixture
def cluster() -> Iterator[ThrowawayCluster]:
    pg = ThrowawayCluster()
    try:
        pg.init().start()
    except RuntimeError as exc:
        pg.destroy()
        pytest.skip(f"无法创建临时 PostgreSQL 集群：{exc}")
    yield pg
    pg.destroy()


def stored(app: App) -> int:
    try:
        with transaction(app.sessions) as session:
            return int(session.scalar(select(func.count()).select_from(Post)) or 0)
    except OperationalError:
        return -1  # the database is down


def crawl(config: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tracker.cli", "--config", str(config), "crawl", SOURCE],
        cwd=config.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_database_down_mid_crawl(tmp_path: Path, cluster: ThrowawayCluster) -> None:
    port = free_port()
    config = make_config(tmp_path, port)
    text = config.read_text(encoding="utf-8").replace(
        'url = "sqlite:///var/yuqing.db"', f'url = "{cluster.url}"'
    )
    config.write_text(text, encoding="utf-8")
    app = load_app(str(config))
    upgrade(app.engine)
    expected = visible_now("bbs")
    server = ReplayServer(port, page_delay=1.0).start()  # yuqing crawl uses it: the port is taken
    try:
        first = crawl(config)
        deadline = time.monotonic() + 90
        while stored(app) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        cluster.stop("immediate")  # a crash, as far as the crawler can tell
        time.sleep(3.0)  # pages keep arriving while the database is gone
        cluster.start()
        out, _ = first.communicate(timeout=180)
        app.engine.dispose()  # our own pooled connections died with the server
        first_crawl = stored(app)
        assert 2 <= first_crawl < expected, f"the outage must hit the crawl half-way:\n{out[-3000:]}"
        # The posts that arrived while the database was gone are counted as failed, not silently lost;
        # the crawl went on when the database came back (the pool re-connects: pool_pre_ping).
        failed = expected - first_crawl
        assert f"新增 {first_crawl} 条，重复 0 条，失败 {failed} 条" in out, out[-3000:]
        with transaction(app.sessions) as session:
            run = session.scalars(select(CrawlRun).order_by(CrawlRun.id)).one()
            assert run.finished_at is not None and run.counts.get("failed") == failed
        log = (tmp_path / "var" / "log" / "crawl.log").read_text(encoding="utf-8")
        assert "OperationalError" in log and "connection" in log.lower()  # the cause, named in its log
        assert_complete(app)

        second = crawl(config)
        out2, _ = second.communicate(timeout=180)
        assert second.returncode == 0, out2[-3000:]
        assert f"新增 {failed} 条，重复 0 条，失败 0 条" in out2, out2[-3000:]
    finally:
        server.stop()
    with transaction(app.sessions) as session:
        urls = session.scalars(select(Post.url)).all()
        source = session.scalars(select(Source).where(Source.name == SOURCE)).one()
        assert source.consecutive_failures == 0 and source.last_counts.get("failed") == 0
    assert len(urls) == len(set(urls)) == expected
    assert_complete(app)
    print(f"first crawl: {first_crawl}/{expected} stored, {failed} failed while the database was down")
    app.engine.dispose()


def assert_complete(app: App) -> None:
    """Every stored post is whole: text, analysis and an incident that exists and counts it."""
    with transaction(app.sessions) as session:
        posts = session.scalars(select(Post)).all()
        for p in posts:
            assert p.title and p.text and p.content_hash and p.sentiment_model, p.url
            assert p.incident_id is not None, p.url
        incidents = {i.id: i for i in session.scalars(select(Incident))}
        for p in posts:
            assert p.incident_id in incidents
        linked = {i for p in posts for i in [p.incident_id]}
        assert set(incidents) == linked  # no incident without its posts (none half-written)
