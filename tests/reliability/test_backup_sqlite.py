"""`yuqing backup` / `yuqing restore` on SQLite: round trip with the var/ files, consistency while another
process writes, refusal while a scheduler runs, and bad backup files that must change nothing."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from tests.conftest import T0, write_config
from tests.reliability.helpers import build_ledger, chain_problems, frozen, snapshot
from tests.tracker.helpers import food_story
from tracker import backup_db
from tracker.app import App
from tracker.backup import backup, read_manifest
from tracker.clock import FrozenClock
from tracker.config import load_settings
from tracker.db import transaction
from tracker.errors import UserError
from tracker.models import AuditEvent, Post, SchedulerLock
from tracker.restore import restore


@pytest.fixture
def ledger_app(sqlite_app: App) -> App:
    build_ledger(sqlite_app)
    _ = sqlite_app.author_salt  # created on first use, as ingest of a post with an author would
    return sqlite_app


def db_file(app: App) -> Path:
    return Path(str(app.engine.url.database))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_round_trip_restores_database_and_var_files(ledger_app: App, tmp_path: Path) -> None:
    app = ledger_app
    before = snapshot(app.engine)
    var = tmp_path / "var"
    salt, anchor = (var / "author.salt").read_bytes(), (var / "audit.anchor").read_bytes()
    result = backup(app)
    assert result.path.parent == var / "backups"
    assert result.path.name == "yuqing-20261123-160000.tar.gz"  # T0 + 6 h, Beijing time
    assert result.path.stat().st_mode & 0o777 == 0o600
    with tarfile.open(result.path) as tar:
        names = set(tar.getnames())
    assert names == {"manifest.json", "database.sqlite3", "var/author.salt", "var/audit.anchor"}
    assert result.manifest.counts["posts"] == 7 and result.manifest.counts["commitments"] == 1
    assert result.manifest.revision is not None

    # Life goes on after the backup: more posts, a new salt, a newer anchor, a journal.
    frozen(app).set(T0 + timedelta(days=1))
    food_story(T0 + timedelta(days=1), 3, source="信箱")
    (var / "author.salt").write_text("f" * 64, encoding="ascii")
    (var / "audit.anchor").write_text('{"id": 999, "hash": "x"}\n', encoding="utf-8")
    (var / "outbox.journal").write_text('{"ids": [1]}\n', encoding="utf-8")

    restored = restore(app, result.path)
    after = snapshot(app.engine)
    assert {k: v for k, v in after.items() if k != "audit_events"} == {
        k: v for k, v in before.items() if k != "audit_events"
    }
    assert after["audit_events"][:-1] == before["audit_events"]
    with transaction(app.sessions) as session:
        last = session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
        assert last is not None and last.action == "backup.restore" and last.actor == "命令行"
    assert (var / "author.salt").read_bytes() == salt
    assert (var / "audit.anchor").read_bytes() == anchor
    assert not (var / "outbox.journal").exists()  # it named rows of the newer state
    assert (var / "outbox.journal.before-restore").exists()
    assert (var / "author.salt.before-restore").read_text(encoding="ascii") == "f" * 64
    assert chain_problems(app) == []
    kept_db = db_file(app).with_name("yuqing.db.before-restore")
    assert kept_db in restored.kept
    # The replaced database is kept whole: ten posts, as it was just before the restore.
    assert read_manifest(kept_db).counts["posts"] == 10


def test_a_restore_can_be_undone_from_the_kept_file(ledger_app: App) -> None:
    app = ledger_app
    result = backup(app)
    food_story(T0 + timedelta(days=1), 3, source="信箱")
    newer = snapshot(app.engine, skip=("audit_events",))
    restore(app, result.path)
    kept = db_file(app).with_name("yuqing.db.before-restore")
    restore(app, kept)  # a bare SQLite file is accepted; restoring it makes a new .before-restore
    assert snapshot(app.engine, skip=("audit_events",)) == newer


WRITER = """
import sys
from tracker.db import make_engine, transaction, session_factory
from tracker.models import Unit
sessions = session_factory(make_engine(sys.argv[1]))
n = 0
while True:
    with transaction(sessions) as s:  # ten rows per transaction: a torn copy would show a remainder
        s.add_all(Unit(name=f"w{n}-{i}") for i in range(10))
    n += 1
    if n == 3:
        print("started", flush=True)
"""


@pytest.fixture
def writer(sqlite_app: App) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(sqlite_app.engine.url)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "started"
    yield proc
    proc.kill()
    proc.wait(timeout=10)


def written_units(path: Path) -> int:
    import sqlite3

    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT count(*) FROM units WHERE name LIKE 'w%'").fetchone()[0])


@pytest.mark.slow
def test_backup_is_one_consistent_snapshot_while_another_process_writes(
    sqlite_app: App, writer: subprocess.Popen[str], tmp_path: Path
) -> None:
    counts = []
    for n in range(3):
        result = backup(sqlite_app, tmp_path / f"b{n}.tar.gz")
        with tarfile.open(result.path) as tar:
            tar.extract("database.sqlite3", tmp_path / f"x{n}", filter="data")
        copy = tmp_path / f"x{n}" / "database.sqlite3"
        backup_db.check_integrity(copy)
        counts.append(written_units(copy))
        time.sleep(0.05)
    assert writer.poll() is None, "the writer must not have been blocked into failing"
    assert all(c % 10 == 0 and c > 0 for c in counts), counts
    assert counts == sorted(counts) and counts[-1] > counts[0]  # the writer went on meanwhile
    assert written_units(db_file(sqlite_app)) >= counts[-1]


def test_restore_refuses_while_the_scheduler_heartbeat_is_fresh(ledger_app: App) -> None:
    app = ledger_app
    result = backup(app)
    now = app.clock.now()
    with transaction(app.sessions) as session:
        session.add(
            SchedulerLock(id=1, owner="node-2.example:4242", heartbeat_at=now - timedelta(seconds=20))
        )
    before = digest(db_file(app))
    with pytest.raises(UserError, match=r"调度进程 node-2\.example:4242 正在运行.*--force"):
        restore(app, result.path)
    assert digest(db_file(app)) == before
    assert not db_file(app).with_name("yuqing.db.before-restore").exists()
    restore(app, result.path, force=True)  # the operator checked: the other node is down


def test_restore_goes_ahead_when_the_heartbeat_is_stale_or_its_process_is_gone(ledger_app: App) -> None:
    import socket

    app = ledger_app
    result = backup(app)
    now = app.clock.now()
    with transaction(app.sessions) as session:
        session.add(SchedulerLock(id=1, owner="node-2.example:4242", heartbeat_at=now - timedelta(minutes=5)))
    restore(app, result.path)  # the lock was not in the backup, and the stale one did not block
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    with transaction(app.sessions) as session:
        session.add(
            SchedulerLock(id=1, owner=f"{socket.gethostname()}:{dead.stdout.strip()}", heartbeat_at=now)
        )
    restore(app, result.path)


def _tar_with(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _manifest(**over: object) -> bytes:
    data = {"format": "yuqing-backup", "version": 1, "backend": "sqlite", "created_at": "", "revision": None}
    return json.dumps({**data, **over}).encode()


BAD_FILES = {
    "random bytes": (os.urandom(4096), "不是 yuqing 备份文件"),
    "empty": (b"", "不是 yuqing 备份文件"),
    "no manifest": (_tar_with({"database.sqlite3": b"x"}), "不是 yuqing 备份文件"),
    "not our manifest": (_tar_with({"manifest.json": b'{"format": "other"}'}), "清单内容不对"),
    "future format": (_tar_with({"manifest.json": _manifest(version=7)}), "格式版本 7 不受支持"),
    "newer program": (_tar_with({"manifest.json": _manifest(revision="9999_future")}), "请先升级程序"),
    "other backend": (_tar_with({"manifest.json": _manifest(backend="postgresql")}), "不能跨数据库类型"),
    "database missing": (_tar_with({"manifest.json": _manifest()}), "不完整：缺少 database.sqlite3"),
    "database garbage": (
        _tar_with(
            {"manifest.json": _manifest(), "database.sqlite3": b"SQLite format 3\x00" + b"\x07" * 5000}
        ),
        "无法读取|完整性检查",
    ),
    "path traversal": (
        _tar_with({"manifest.json": _manifest(files=["../../evil"]), "var/../../evil": b"x"}),
        "清单内容不对",
    ),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_backup_file_is_refused_and_changes_nothing(ledger_app: App, tmp_path: Path, case: str) -> None:
    data, message = BAD_FILES[case]
    path = tmp_path / "bad.tar.gz"
    path.write_bytes(data)
    before = digest(db_file(ledger_app))
    with pytest.raises(UserError, match=message):
        restore(ledger_app, path)
    assert digest(db_file(ledger_app)) == before
    assert not db_file(ledger_app).with_name("yuqing.db.before-restore").exists()
    assert not (tmp_path.parent / "evil").exists()


def test_a_truncated_backup_is_refused(ledger_app: App, tmp_path: Path) -> None:
    whole = backup(ledger_app).path.read_bytes()
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    before = digest(db_file(ledger_app))
    with pytest.raises(UserError, match=r"损坏|不完整|不是 yuqing 备份文件"):
        restore(ledger_app, cut)
    assert digest(db_file(ledger_app)) == before


def test_backup_of_a_missing_database_says_so(tmp_path: Path) -> None:
    settings = load_settings(write_config(tmp_path, f"sqlite:///{tmp_path / 'none' / 'yuqing.db'}"), env={})
    with pytest.raises(UserError, match="数据库文件不存在"):
        backup(App(settings, FrozenClock(T0)))
    assert not list((tmp_path / "var" / "backups").glob("*.tar.gz*"))


def test_restore_into_an_empty_installation(ledger_app: App, tmp_path: Path) -> None:
    """Disaster recovery: a new machine with only the backup file and the configuration."""
    archive = backup(ledger_app).path
    expected = snapshot(ledger_app.engine, skip=("audit_events",))
    fresh_root = tmp_path / "new-machine"
    fresh_root.mkdir()
    config = write_config(fresh_root, f"sqlite:///{fresh_root / 'var' / 'yuqing.db'}")
    app = App(load_settings(config, env={}), FrozenClock(T0 + timedelta(days=2)))
    restore(app, archive)
    assert snapshot(app.engine, skip=("audit_events",)) == expected
    assert (fresh_root / "var" / "author.salt").read_bytes() == (
        tmp_path / "var" / "author.salt"
    ).read_bytes()
    assert chain_problems(app) == []
    with transaction(app.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Post)) == 7
        assert session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
