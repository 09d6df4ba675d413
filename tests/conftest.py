"""Shared fixtures: an application on a temporary database with a frozen clock.

Storage tests use the ``db_url`` fixture, parametrised over SQLite always and PostgreSQL when
``YUQING_TEST_PG_URL`` is set (CI sets it when the server answers). PostgreSQL tests run in their own
schema, emptied before each test.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tracker.app import App
from tracker.clock import FrozenClock
from tracker.config import load_settings

PG_URL = os.environ.get("YUQING_TEST_PG_URL", "")
PG_SCHEMA = "yuqing_test"
# A Monday in term time, 10:00 Beijing: far from holidays unless a test moves it.
T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)

BASE_CONFIG = """
[[sources]]
name = "新闻"
kind = "replay"
sections = ["news"]

[[sources]]
name = "信箱"
kind = "replay"
sections = ["board"]
channel = "msgboard"
reply_days = 3

[[topics]]
name = "校园食品安全"
query = "(食堂 OR 学校) AND (中毒 OR 腹泻 OR 呕吐)"
units = ["市场监管局"]

[[units]]
name = "宣传部"

[[units]]
name = "市场监管局"
parent = "宣传部"
categories = ["food_drug_safety"]

[[units]]
name = "教育局"
categories = ["education"]

[alerts.channels."日志"]
url = "file://var/alerts.jsonl"

[[alerts.routes]]
name = "值班室"
channels = ["日志"]
"""


def _pg_url_with_schema() -> str:
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {PG_SCHEMA}"))
    engine.dispose()
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{PG_SCHEMA}"


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests are offline: every server they talk to is on 127.0.0.1 and must be reached directly, whatever
    *_proxy variables the machine has."""
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'yuqing.db'}"
    if not PG_URL:
        pytest.skip("YUQING_TEST_PG_URL 未设置：跳过 PostgreSQL 存储测试")
    return _pg_url_with_schema()


def write_config(tmp_path: Path, db_url: str, extra: str = "") -> Path:
    path = tmp_path / "yuqing.toml"
    path.write_text(
        f'[database]\nurl = "{db_url}"\n' + textwrap.dedent(BASE_CONFIG) + extra, encoding="utf-8"
    )
    return path


def make_app(tmp_path: Path, db_url: str, extra: str = "", at: datetime = T0) -> App:
    from tracker.catalog import sync_catalog
    from tracker.db import transaction
    from tracker.migrate import upgrade

    settings = load_settings(write_config(tmp_path, db_url, extra), env={})
    app = App(settings, FrozenClock(at))
    upgrade(app.engine)
    with transaction(app.sessions) as session:
        sync_catalog(session, settings)
    return app


@pytest.fixture
def app(tmp_path: Path, db_url: str) -> Iterator[App]:
    from tracker import ingest

    application = make_app(tmp_path, db_url)
    ingest.configure(application)
    yield application
    ingest.configure(None)
    application.engine.dispose()


@pytest.fixture
def sqlite_app(tmp_path: Path) -> Iterator[App]:
    """The same, on SQLite only: for tests of logic rather than storage."""
    from tracker import ingest

    application = make_app(tmp_path, f"sqlite:///{tmp_path / 'yuqing.db'}")
    ingest.configure(application)
    yield application
    ingest.configure(None)
    application.engine.dispose()
