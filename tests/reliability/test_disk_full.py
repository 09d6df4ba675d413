"""A full disk: writes fail with a clear error (no hang), nothing committed is lost, the database stays
intact, and an alert that cannot be written stays in the outbox until there is room again.

The disk is a 1 MiB tmpfs mounted by the test (needs root or CAP_SYS_ADMIN; skipped otherwise).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import T0, make_app
from tests.reliability.helpers import frozen
from tests.tracker.helpers import food_story, store
from tracker import ingest
from tracker.app import App
from tracker.backup import backup
from tracker.db import transaction
from tracker.errors import UserError
from tracker.models import AlertOutbox, Post
from tracker.outbox import deliver_due
from tracker.sweep import run

pytestmark = pytest.mark.slow


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("挂载 tmpfs 需要 root 权限：跳过磁盘写满测试")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"无法挂载 tmpfs（容器未授予 CAP_SYS_ADMIN？）：{done.stderr.strip()}")
    try:
        yield mount_point
    finally:
        if subprocess.run(["umount", str(mount_point)], check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(path: Path, leave: int = 0) -> int:
    """Write zeros into ``path`` until the disk is full (or only ``leave`` bytes would remain)."""
    written = 0
    with path.open("ab", buffering=0) as f:
        chunk = b"\0" * 4096
        while True:
            free = shutil.disk_usage(path.parent).free
            if free <= leave:
                return written
            try:
                written += f.write(chunk[: max(1, min(len(chunk), free - leave))])
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
                return written


# The writes run in a child process: a hang inside SQLite's C code could not be interrupted in-process,
# but a child can be killed, and then the test says so instead of hanging the suite.
WRITER = """
import hashlib, json, sys
from datetime import timedelta
from sqlalchemy.exc import OperationalError
from tests.conftest import T0
from tests.reliability.helpers import post_text
from tests.tracker.helpers import store
from tracker import ingest
from tracker.app import load_app
ingest.configure(load_app(sys.argv[1]))
stored, error = {}, None
try:
    for n in range(1000):  # ~5 KB a post: the disk is full long before this ends
        text = post_text(n)
        result = store("新闻", f"建设路积水第{n}帖", text, T0 + timedelta(minutes=n))
        stored[result.post_id] = hashlib.sha256(text.encode()).hexdigest()
except OperationalError as exc:
    error = f"{type(exc.orig).__name__}: {exc.orig}"
print(json.dumps({"stored": stored, "error": error}))
"""


def test_sqlite_on_a_full_disk_fails_clearly_and_keeps_every_committed_row(small_disk: Path) -> None:
    app = make_app(small_disk, f"sqlite:///{small_disk / 'yuqing.db'}")
    app.engine.dispose()
    filler = small_disk / "filler.bin"
    filler.write_bytes(b"\0" * 128 * 1024)  # something to delete later, to show recovery
    try:
        child = subprocess.run(
            [sys.executable, "-c", WRITER, app.settings.path],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=Path(__file__).resolve().parents[2],
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("writing to a full disk hung for 60 s instead of failing")
    assert child.returncode == 0, child.stderr[-2000:]
    report = json.loads(child.stdout.strip().splitlines()[-1])
    assert report["error"] == "OperationalError: database or disk is full"
    stored = {int(k): v for k, v in report["stored"].items()}
    assert len(stored) >= 5

    with sqlite3.connect(small_disk / "yuqing.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        rows = dict(conn.execute("SELECT id, text FROM posts"))
    assert {i: hashlib.sha256(t.encode()).hexdigest() for i, t in rows.items()} == stored

    filler.unlink()  # room again: the application writes on, nothing to repair
    ingest.configure(app)
    try:
        again = store(
            "新闻",
            "锦绣小区夜间施工噪音扰民",
            "锦绣小区旁工地晚上十一点后还在打桩，噪音扰民。",
            T0,
            url="http://127.0.0.1/after-the-disk-was-full.html",
            external_id="after-the-disk-was-full",
        )
        with transaction(app.sessions) as session:
            assert session.get(Post, again.post_id) is not None
            assert len(session.scalars(select(Post.id)).all()) == len(stored) + 1
    finally:
        ingest.configure(None)
        app.engine.dispose()


def test_backup_to_a_full_disk_fails_clearly_and_leaves_no_partial_file(
    sqlite_app: App, small_disk: Path
) -> None:
    food_story(T0)
    with sqlite3.connect(str(sqlite_app.engine.url.database)) as conn:  # larger than the small disk
        conn.execute("CREATE TABLE ballast AS SELECT randomblob(1536 * 1024) AS b")
    with pytest.raises(UserError, match="磁盘空间不足"):
        backup(sqlite_app, small_disk / "b.tar.gz")
    assert [p.name for p in small_disk.iterdir()] == []  # no .partial, no staging folder


def alert_lines(path: Path) -> list[dict[str, object]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]  # raises if torn


def test_file_alerts_on_a_full_disk_stay_in_the_outbox(tmp_path: Path, small_disk: Path) -> None:
    alerts = small_disk / "alerts.jsonl"
    extra = f'\n[alerts.channels."磁盘"]\nurl = "file://{alerts}"\n'
    (tmp_path / "app").mkdir()
    app = make_app(tmp_path / "app", f"sqlite:///{tmp_path / 'app' / 'yuqing.db'}", extra=extra)
    app.settings.alerts.routes[0].channels = ["磁盘"]
    ingest.configure(app)
    filler = small_disk / "filler.bin"
    fill(filler)
    food_story(T0)
    frozen(app).set(T0 + timedelta(minutes=70))
    run(app, deliver=False)
    with transaction(app.sessions) as session:
        queued = len(session.scalars(select(AlertOutbox)).all())
    assert queued >= 1

    result = deliver_due(app, app.clock.now())
    assert result.sent == 0 and result.failed == queued
    with transaction(app.sessions) as session:
        rows = session.scalars(select(AlertOutbox)).all()
    assert all(r.sent_at is None and not r.failed and r.attempts == 1 for r in rows)
    assert all("磁盘" in (r.last_error or "") or "No space left" in (r.last_error or "") for r in rows)
    assert alert_lines(alerts) == []

    filler.unlink()
    frozen(app).set(T0 + timedelta(hours=3))  # past the back-off
    assert deliver_due(app, app.clock.now()).sent == queued
    assert len(alert_lines(alerts)) == queued
    ingest.configure(None)
    app.engine.dispose()


def test_a_short_write_leaves_no_torn_line(tmp_path: Path, small_disk: Path) -> None:
    """The disk fills up in the middle of an alert line: the retry must not append to half a line.
    (Found by this test: alerts/channels/file.py now truncates a short write back.)"""
    alerts = small_disk / "alerts.jsonl"
    extra = f'\n[alerts.channels."磁盘"]\nurl = "file://{alerts}"\n'
    (tmp_path / "app").mkdir()
    app = make_app(tmp_path / "app", f"sqlite:///{tmp_path / 'app' / 'yuqing.db'}", extra=extra)
    app.settings.alerts.routes[0].channels = ["磁盘"]
    ingest.configure(app)
    old = json.dumps({"title": "旧告警", "body": "x" * 3960}, ensure_ascii=False) + "\n"
    alerts.write_text(old, encoding="utf-8")
    filler = small_disk / "filler.bin"
    fill(filler)  # the disk is full; the last 4 KiB page of alerts.jsonl has room for ~100 bytes only
    assert 0 < 4096 - len(old.encode()) < 200
    food_story(T0)
    frozen(app).set(T0 + timedelta(minutes=70))
    run(app, deliver=False)
    with transaction(app.sessions) as session:
        queued = len(session.scalars(select(AlertOutbox)).all())
    try:
        first = deliver_due(app, app.clock.now())
        assert first.sent == 0 and first.failed == queued  # every alert line is longer than the room left
        assert alerts.read_text(encoding="utf-8") == old  # no half line left behind
        filler.unlink()
        frozen(app).set(T0 + timedelta(hours=3))
        assert deliver_due(app, app.clock.now()).sent == queued
        assert len(alert_lines(alerts)) == queued + 1
    finally:
        ingest.configure(None)
        app.engine.dispose()
