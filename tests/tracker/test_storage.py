"""Storage on SQLite and (when YUQING_TEST_PG_URL is set) PostgreSQL: migrations, aware times, uniqueness,
and concurrent writers without "database is locked"."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select

from tests.conftest import T0
from tests.tracker.helpers import item, store
from tracker import ingest
from tracker.app import App
from tracker.db import make_engine, session_factory, transaction
from tracker.migrate import current
from tracker.models import Base, Post, Source


def test_migrations_create_every_table(app: App) -> None:
    tables = set(inspect(app.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert current(app.engine) == "0001"


def test_post_roundtrip_keeps_aware_utc(app: App) -> None:
    published = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    result = store("新闻", "建设路积水严重", "市民反映道路积水严重，希望尽快处理。", published)
    assert result.status == "new"
    with transaction(app.sessions) as session:
        post = session.get(Post, result.post_id)
        assert post is not None
        assert post.published_at == published and post.published_at.tzinfo is not None
        assert post.sentiment_model and 0 <= post.sentiment <= 1
        assert post.source.name == "新闻"


def test_same_post_is_stored_once(app: App) -> None:
    it = item("新闻", "标题", "正文内容：某路段积水严重。", T0, url="http://127.0.0.1/a.html")
    assert ingest.store_post(it).status == "new"
    assert ingest.store_post(it).status == "duplicate"
    again = dict(it, external_id="other-id")  # same URL under another id: still the same post
    assert ingest.store_post(again).status == "duplicate"
    assert ingest.known_urls("新闻", ["http://127.0.0.1/a.html", "http://127.0.0.1/b.html"]) == {
        "http://127.0.0.1/a.html"
    }
    with transaction(app.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Post)) == 1


def _writer(url: str, worker: int, n: int, queue: multiprocessing.Queue[str]) -> None:
    engine = make_engine(url, busy_timeout_ms=30000)
    factory = session_factory(engine)
    errors = 0
    for i in range(n):
        try:
            with transaction(factory) as session:
                source = session.scalar(select(Source).where(Source.name == "新闻"))
                assert source is not None
                session.add(
                    Post(
                        source_id=source.id,
                        url=f"http://x/{worker}/{i}",
                        title="t",
                        text="x",
                        fetched_at=T0,
                        content_hash="h",
                        simhash=0,
                        band0=0,
                        band1=0,
                        band2=0,
                        band3=0,
                        sentiment=0.5,
                        sentiment_model="m",
                        category="other",
                    )
                )
                source.total_posts = Source.total_posts + 1  # as tracker.ingest does it
        except Exception as exc:
            errors += 1
            queue.put(repr(exc))
    queue.put(f"done:{errors}")


def test_concurrent_writers_lose_nothing(app: App) -> None:
    url = app.engine.url.render_as_string(hide_password=False)
    queue: multiprocessing.Queue[str] = multiprocessing.Queue()
    n, workers = 150, 3
    procs = [multiprocessing.Process(target=_writer, args=(url, w, n, queue)) for w in range(workers)]
    for p in procs:
        p.start()
    messages = [queue.get(timeout=120) for _ in range(workers)]
    for p in procs:
        p.join(timeout=60)
    assert all(m == "done:0" for m in messages), messages
    with transaction(app.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Post)) == n * workers
        source = session.scalar(select(Source).where(Source.name == "新闻"))
        assert source is not None and source.total_posts == n * workers


def test_naive_datetime_is_refused(app: App) -> None:
    with pytest.raises(Exception, match="naive datetime"), transaction(app.sessions) as session:
        session.add(Source(name="x", kind="feed", url="http://x", last_ok_at=datetime(2026, 1, 1)))
        session.flush()


def test_sqlite_pragmas(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}", busy_timeout_ms=1234)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 1234


def test_times_are_compared_in_sql(app: App) -> None:
    store("新闻", "旧帖", "很久以前的一条帖子，关于公交线路调整。", T0 - timedelta(days=10))
    store("新闻", "新帖", "今天的一条帖子，关于公园开放时间。", T0)
    with transaction(app.sessions) as session:
        recent = session.scalars(select(Post.title).where(Post.published_at >= T0 - timedelta(days=1))).all()
    assert recent == ["新帖"]
