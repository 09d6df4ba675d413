"""``yuqing restore FILE``: put a backup made by tracker.backup in place of the configured database.

Everything is checked before anything is replaced: the archive and its manifest, the backend, the
Alembic revision (a backup from a newer program is refused) and that no scheduler is running (its
heartbeat in ``scheduler_lock``), since a daemon writing during a restore would mix two states. What is
replaced is kept: SQLite ``<db>.before-restore`` and ``var/<file>.before-restore``; PostgreSQL an
automatic ``var/backups/…-before-restore.tar.gz``. Then migrations bring an older backup up to this
version, and the restore itself is recorded in the audit chain.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from tracker import backup_db
from tracker.app import App
from tracker.backup import DB_MEMBER, Manifest, RestoreResult, backend_of, backup, read_manifest, sqlite_path
from tracker.backup import var_files as var_file_paths
from tracker.db import transaction
from tracker.errors import UserError


def ensure_scheduler_idle(app: App, now: datetime) -> None:
    from tracker.models import SchedulerLock
    from tracker.scheduler_lock import LOCK_ID, STALE_AFTER, owner_is_dead_here

    try:
        with transaction(app.sessions) as session:
            row = session.get(SchedulerLock, LOCK_ID)
    except SQLAlchemyError:
        return  # no lock table (an empty or damaged database): no scheduler can be using it
    if row is None:
        return
    age = now - row.heartbeat_at
    if age < STALE_AFTER and not owner_is_dead_here(row.owner):
        raise UserError(
            f"调度进程 {row.owner} 正在运行（最近心跳 {max(0, int(age.total_seconds()))} 秒前）："
            "请先停止 yuqing run（如 systemctl stop yuqing-scheduler）再恢复；确认它已停止可加 --force"
        )


def check_revision(manifest: Manifest) -> None:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    from tracker.migrate import alembic_config

    if manifest.revision is None:
        return
    try:
        ScriptDirectory.from_config(alembic_config()).get_revision(manifest.revision)
    except CommandError:
        raise UserError(
            f"备份中的数据库版本 {manifest.revision} 本程序不认识（备份来自更新的版本？）：请先升级程序再恢复"
        ) from None


def restore(app: App, archive: Path, *, force: bool = False, actor: str = "命令行") -> RestoreResult:
    manifest = read_manifest(archive)
    backend = backend_of(app)
    if manifest.backend != backend:
        raise UserError(f"备份是 {manifest.backend} 数据库，当前配置是 {backend}：不能跨数据库类型恢复")
    check_revision(manifest)
    now = app.clock.now()
    if not force:
        ensure_scheduler_idle(app, now)
    if backend == "sqlite":
        kept = _restore_sqlite(app, archive, manifest)
    else:
        kept = _restore_postgresql(app, archive, manifest)
    return _finish(app, archive, manifest, kept, actor, now)


def _restore_sqlite(app: App, archive: Path, manifest: Manifest) -> list[Path]:
    target = sqlite_path(app)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".restore-") as tmp:
        if manifest.raw:  # copied first: the file may be the very .before-restore we are about to replace
            staged = {"database": Path(tmp) / DB_MEMBER["sqlite"]}
            backup_db.sqlite_copy(archive, staged["database"], check=False)
        else:
            staged = _extract(archive, Path(tmp), manifest)
        backup_db.check_integrity(staged["database"])
        app.engine.dispose()  # no pooled connection of ours may hold the old pages
        before = backup_db.sqlite_restore(staged["database"], target, app.settings.database.busy_timeout_ms)
        kept = [before] if before else []
        if not manifest.raw:
            kept += _restore_var_files(app, staged)
    return kept


def _restore_postgresql(app: App, archive: Path, manifest: Manifest) -> list[Path]:
    target = backup_db.pg_target(app.engine.url.render_as_string(hide_password=False))
    if sorted(manifest.schemas) != sorted(target.schemas):
        raise UserError(
            f"备份来自模式 {'、'.join(manifest.schemas) or 'public'}，当前配置的是"
            f" {'、'.join(target.schemas) or 'public'}：请使用同一模式（search_path）恢复"
        )
    safety = backup(app, label="-before-restore").path
    with tempfile.TemporaryDirectory(dir=safety.parent, prefix=".restore-") as tmp:
        staged = _extract(archive, Path(tmp), manifest)
        app.engine.dispose()
        backup_db.pg_restore(app.engine, target, staged["database"])
        app.engine.dispose()  # pooled connections may hold plans for the dropped tables
        return [safety, *_restore_var_files(app, staged)]


def _extract(archive: Path, tmp: Path, manifest: Manifest) -> dict[str, Path]:
    """Only the members we know, each to a name we choose: nothing in the archive picks a path."""
    wanted = {DB_MEMBER[manifest.backend]: "database"} | {f"var/{n}": n for n in manifest.files}
    staged: dict[str, Path] = {}
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                key = wanted.get(member.name)
                source = tar.extractfile(member) if key and member.isfile() else None
                if key is None or source is None:
                    continue
                staged[key] = tmp / (key if key != "database" else DB_MEMBER[manifest.backend])
                with source, staged[key].open("wb") as out:
                    shutil.copyfileobj(source, out)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise UserError(f"读取备份文件 {archive} 失败（文件损坏或不完整）：{exc}") from None
    missing = [name for name, key in wanted.items() if key not in staged]
    if missing:
        raise UserError(f"备份文件 {archive} 不完整：缺少 {'、'.join(missing)}")
    return staged


def _restore_var_files(app: App, staged: dict[str, Path]) -> list[Path]:
    """The var/ files become exactly those of the backup: a current file the backup lacks is set aside
    too (a newer outbox journal names alert rows of a different database state)."""
    kept: list[Path] = []
    for name, path in var_file_paths(app).items():
        source = staged.get(name)
        if path.exists() and not (source and source.read_bytes() == path.read_bytes()):
            aside = path.with_name(path.name + backup_db.BEFORE_RESTORE)
            os.replace(path, aside)
            kept.append(aside)
        if source and not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, path)
            if name == "author.salt":
                path.chmod(0o600)
    app.__dict__.pop("author_salt", None)  # App caches the salt it read
    return kept


def _finish(
    app: App, archive: Path, manifest: Manifest, kept: list[Path], actor: str, now: datetime
) -> RestoreResult:
    from tracker.audit import record
    from tracker.migrate import current, upgrade

    upgrade(app.engine)  # an older backup: bring its schema up to this program's version
    with transaction(app.sessions) as session:
        payload = {
            "file": archive.name,
            "backup_created_at": manifest.created_at,
            "backup_revision": manifest.revision,
            "kept": [str(p) for p in kept],
        }
        record(session, actor, "backup.restore", "database", None, payload, now)
    return RestoreResult(manifest, kept, current(app.engine))
