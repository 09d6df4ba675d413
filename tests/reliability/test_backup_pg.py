"""`yuqing backup` / `yuqing restore` on PostgreSQL (pg_dump / pg_restore).

How the tools are called is tested always, with stand-in scripts on PATH; the real round trips run when
``YUQING_TEST_PG_URL`` is set: once in our own schema (``options=-csearch_path%3Dyuqing_backup``, so
pg_dump must be limited to it) and once in a database of our own (``--clean`` over the whole database).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import PG_URL, T0, make_app, write_config
from tests.reliability.helpers import build_ledger, chain_problems, frozen, snapshot
from tests.tracker.helpers import food_story
from tracker import backup_db, ingest
from tracker.app import App
from tracker.backup import backup, read_manifest
from tracker.clock import FrozenClock
from tracker.config import load_settings
from tracker.errors import UserError
from tracker.restore import restore

SCHEMA = "yuqing_backup"
FAKE_TOOL = """#!/bin/sh
printf '%s\\n' "$@" > "$FAKE_LOG.args"
printf '%s' "$PGPASSWORD" > "$FAKE_LOG.env"
for a in "$@"; do case "$a" in --file=*) printf 'PGDMP' > "${a#--file=}";; esac; done
exit ${FAKE_EXIT:-0}
"""


def test_the_url_reaches_libpq_without_driver_or_password() -> None:
    target = backup_db.pg_target(
        "postgresql+psycopg://yuqing:p%40ss%3Aword@db.example:5433/yq?options=-csearch_path%3Dyuqing_a"
    )
    assert target.uri == "postgresql://yuqing@db.example:5433/yq?options=-csearch_path%3Dyuqing_a"
    assert target.env == {"PGPASSWORD": "p@ss:word"}
    assert target.schemas == ("yuqing_a",)
    assert "p@ss" not in repr(target)
    plain = backup_db.pg_target("postgresql+psycopg://yuqing@127.0.0.1/yq")
    assert plain.env == {} and plain.schemas == () and plain.uri == "postgresql://yuqing@127.0.0.1/yq"


@pytest.fixture
def fake_tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("pg_dump", "pg_restore"):
        tool = bin_dir / name
        tool.write_text(FAKE_TOOL, encoding="utf-8")
        tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("FAKE_LOG", str(tmp_path / "call"))
    return tmp_path / "call"


def test_pg_dump_gets_the_password_from_the_environment_only(fake_tools: Path, tmp_path: Path) -> None:
    target = backup_db.pg_target(
        "postgresql+psycopg://yuqing:S3cret-pw@127.0.0.1:5432/yq?options=-csearch_path%3Dyq"
    )
    backup_db.pg_dump(target, tmp_path / "out.pgdump")
    args = Path(f"{fake_tools}.args").read_text(encoding="utf-8").splitlines()
    assert "--format=custom" in args and "--schema=yq" in args
    assert f"--file={tmp_path / 'out.pgdump'}" in args
    assert "--dbname=postgresql://yuqing@127.0.0.1:5432/yq?options=-csearch_path%3Dyq" in args
    assert not any("S3cret" in a for a in args)
    assert Path(f"{fake_tools}.env").read_text(encoding="utf-8") == "S3cret-pw"


def test_a_failing_tool_is_a_clear_error_without_the_password(
    fake_tools: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (fake_tools.parent / "bin" / "pg_dump").write_text(
        '#!/bin/sh\necho "pg_dump: error: connection failed for password $PGPASSWORD" >&2\nexit 1\n',
        encoding="utf-8",
    )
    target = backup_db.pg_target("postgresql+psycopg://yuqing:S3cret-pw@127.0.0.1/yq")
    with pytest.raises(UserError, match="pg_dump 备份失败（退出码 1）") as caught:
        backup_db.pg_dump(target, tmp_path / "out.pgdump")
    assert "S3cret" not in str(caught.value) and "***" in str(caught.value)


def test_missing_pg_dump_is_named_in_chinese(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no PostgreSQL client here
    target = backup_db.pg_target("postgresql+psycopg://yuqing@127.0.0.1/yq")
    with pytest.raises(UserError, match="找不到 pg_dump：请安装 PostgreSQL 客户端"):
        backup_db.pg_dump(target, tmp_path / "out.pgdump")
    with pytest.raises(UserError, match="找不到 pg_restore"):
        backup_db.find_tool("pg_restore")


# ---- real PostgreSQL -------------------------------------------------------------------------------

needs_pg = pytest.mark.skipif(not PG_URL, reason="YUQING_TEST_PG_URL 未设置：跳过 PostgreSQL 备份恢复测试")


def _with_options(url: str, schema: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


@pytest.fixture
def pg_schema_app(tmp_path: Path) -> Iterator[App]:
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        for name in (SCHEMA, f"{SCHEMA}_before_restore"):
            conn.execute(text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    app = make_app(tmp_path, _with_options(PG_URL, SCHEMA))
    ingest.configure(app)
    yield app
    ingest.configure(None)
    app.engine.dispose()
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
    admin.dispose()


@pytest.fixture
def pg_db_app(tmp_path: Path) -> Iterator[App]:
    name = f"yuqing_backup_{os.getpid()}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    app = make_app(tmp_path, url)
    ingest.configure(app)
    yield app
    ingest.configure(None)
    app.engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def _round_trip(app: App) -> None:
    build_ledger(app)
    before = snapshot(app.engine)
    result = backup(app)
    assert read_manifest(result.path).counts["posts"] == 7
    frozen(app).set(T0 + timedelta(days=1))
    food_story(T0 + timedelta(days=1), 3, source="信箱")
    with app.engine.begin() as conn:  # as a newer migration would: a table the backup does not know
        conn.execute(text("CREATE TABLE later_table (id integer PRIMARY KEY)"))
        conn.execute(text("DELETE FROM commitments"))
    restored = restore(app, result.path)
    after = snapshot(app.engine)
    assert {k: v for k, v in after.items() if k != "audit_events"} == {
        k: v for k, v in before.items() if k != "audit_events"
    }
    assert after["audit_events"][:-1] == before["audit_events"]
    assert chain_problems(app) == []
    safety = restored.kept[0]
    assert safety.name.endswith("-before-restore.tar.gz")
    assert read_manifest(safety).counts["posts"] == 10 and read_manifest(safety).counts["commitments"] == 0
    food_story(T0 + timedelta(days=2), 2, source="信箱")  # sequences were restored too: ids do not clash


@needs_pg
@pytest.mark.pg
@pytest.mark.slow
def test_round_trip_in_our_own_schema(pg_schema_app: App) -> None:
    _round_trip(pg_schema_app)
    with pg_schema_app.engine.connect() as conn:
        leftovers = conn.execute(text("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'yuqing_backup%'"))
        assert sorted(r[0] for r in leftovers) == [SCHEMA]
        assert conn.scalar(text("SELECT to_regclass('later_table')")) is None


@needs_pg
@pytest.mark.pg
@pytest.mark.slow
def test_round_trip_of_a_whole_database(pg_db_app: App) -> None:
    _round_trip(pg_db_app)


@needs_pg
@pytest.mark.pg
def test_restore_into_another_schema_is_refused(pg_schema_app: App, tmp_path: Path) -> None:
    build_ledger(pg_schema_app)
    archive = backup(pg_schema_app).path
    other_url = _with_options(PG_URL, "yuqing_backup_other")  # never created: nothing may touch it
    (tmp_path / "other").mkdir()
    other = App(load_settings(write_config(tmp_path / "other", other_url), env={}), FrozenClock(T0))
    try:
        with pytest.raises(UserError, match="请使用同一模式"):
            restore(other, archive)
    finally:
        other.engine.dispose()
