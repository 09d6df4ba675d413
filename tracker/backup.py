"""``yuqing backup`` and ``yuqing restore``: one ``.tar.gz`` holds the database and the var/ files that
belong to it, so a restore brings back a state that fits together.

Archive (format 1), written as ``<name>.partial`` and renamed when complete, mode 0600 (it holds the
author salt and password hashes):

- ``manifest.json``: backend, creation time (UTC), Alembic revision, row counts, PostgreSQL schemas;
- ``database.sqlite3`` (SQLite: online backup API copy, integrity-checked) or ``database.pgdump``
  (PostgreSQL: ``pg_dump --format=custom``);
- ``var/author.salt`` (author hashes only match with it), ``var/audit.anchor`` (copied *before* the
  database, so every anchor names an audit row the copy holds) and ``var/outbox.journal`` (copied
  *after*: it may prove sends that the copy has not recorded yet, never the other way round).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tarfile
import tempfile
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, table
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from tracker import backup_db
from tracker.app import App
from tracker.clock import to_beijing
from tracker.errors import UserError

FORMAT = "yuqing-backup"
VERSION = 1
DB_MEMBER = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
COUNTED = ("incidents", "posts", "obligations", "responses", "commitments", "alert_outbox", "audit_events")
SQLITE_MAGIC = b"SQLite format 3\x00"
VAR_NAMES = ("author.salt", "audit.anchor", "outbox.journal")


@dataclass(frozen=True)
class Manifest:
    backend: str
    created_at: str
    revision: str | None
    counts: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)  # var/ files in the archive, by short name
    schemas: list[str] = field(default_factory=list)
    raw: bool = False  # a bare SQLite file rather than an archive: no var/ files to restore

    def to_json(self) -> bytes:
        data = {"format": FORMAT, "version": VERSION, **asdict(self)}
        data.pop("raw")
        return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest: Manifest
    size: int


@dataclass(frozen=True)
class RestoreResult:
    manifest: Manifest
    kept: list[Path]  # the replaced database/files, kept for inspection
    revision: str | None


def backend_of(app: App) -> str:
    name = app.engine.dialect.name
    if name not in DB_MEMBER:
        raise UserError(f"不支持备份 {name} 数据库（仅支持 SQLite 与 PostgreSQL）")
    return name


def var_files(app: App) -> dict[str, Path]:
    from tracker.outbox import journal_path

    paths = (app.path(app.settings.privacy.author_salt_file), app.path("var/audit.anchor"), journal_path(app))
    return dict(zip(VAR_NAMES, paths, strict=True))


def sqlite_path(app: App) -> Path:
    database = app.engine.url.database
    if not database or database == ":memory:":
        raise UserError("内存数据库无法备份或恢复")
    return Path(database)


def default_backup_path(app: App, now: datetime, label: str = "", folder: Path | None = None) -> Path:
    stamp = to_beijing(now).strftime("%Y%m%d-%H%M%S")
    folder = folder or app.path("var/backups")
    path = folder / f"yuqing-{stamp}{label}.tar.gz"
    n = 2
    while path.exists():  # two backups within one second must not overwrite each other
        path = folder / f"yuqing-{stamp}{label}-{n}.tar.gz"
        n += 1
    return path


def backup(app: App, out: Path | None = None, label: str = "") -> BackupResult:
    backend = backend_of(app)
    now = app.clock.now()
    if out is None or out.is_dir():
        out = default_backup_path(app, now, label, out)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    try:
        with tempfile.TemporaryDirectory(dir=out.parent, prefix=".backup-") as tmp:
            files = var_files(app)
            staged = _stage(files, ("audit.anchor", "author.salt"), Path(tmp))
            manifest = _dump_database(app, backend, Path(tmp) / DB_MEMBER[backend], now)
            staged += _stage(files, ("outbox.journal",), Path(tmp))
            manifest = replace(manifest, files=staged)
            _write_archive(partial, Path(tmp), manifest, now)
        os.replace(partial, out)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise UserError(f"备份失败：写入 {out} 时出错：{_reason(exc)}") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return BackupResult(out, manifest, out.stat().st_size)


def _reason(exc: OSError) -> str:
    import errno

    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "磁盘空间不足（请清理磁盘，或用 --out 指定其他磁盘上的位置）"
    return exc.strerror or str(exc)


def _stage(files: dict[str, Path], names: tuple[str, ...], tmp: Path) -> list[str]:
    staged = []
    for name in names:
        if files[name].is_file():
            shutil.copyfile(files[name], tmp / name)
            staged.append(name)
    return staged


def _dump_database(app: App, backend: str, dest: Path, now: datetime) -> Manifest:
    created = now.isoformat()
    if backend == "sqlite":
        backup_db.sqlite_copy(sqlite_path(app), dest, app.settings.database.busy_timeout_ms)
        copy = create_engine(f"sqlite:///{dest}", poolclass=NullPool)
        try:
            return Manifest(backend, created, _revision(copy), _counts(copy))
        finally:
            copy.dispose()
    target = backup_db.pg_target(app.engine.url.render_as_string(hide_password=False))
    revision, counts = _revision(app.engine), _counts(app.engine)
    backup_db.pg_dump(target, dest)
    return Manifest(backend, created, revision, counts, schemas=list(target.schemas))


def _revision(engine: Engine) -> str | None:
    from tracker.migrate import current

    try:
        return current(engine)
    except SQLAlchemyError:
        return None


def _counts(engine: Engine) -> dict[str, int]:
    counts: dict[str, int] = {}
    with engine.connect() as conn:
        for name in COUNTED:
            try:
                counts[name] = int(conn.scalar(select(func.count()).select_from(table(name))) or 0)
            except SQLAlchemyError:
                conn.rollback()  # a table this (older) database does not have yet
    return counts


def _write_archive(partial: Path, tmp: Path, manifest: Manifest, now: datetime) -> None:
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as raw:
        with tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as tar:
            data = manifest.to_json()
            info = tarfile.TarInfo("manifest.json")
            info.size, info.mtime, info.mode = len(data), int(now.timestamp()), 0o600
            tar.addfile(info, io.BytesIO(data))
            tar.add(tmp / DB_MEMBER[manifest.backend], arcname=DB_MEMBER[manifest.backend])
            for name in manifest.files:
                tar.add(tmp / name, arcname=f"var/{name}")
        raw.flush()
        os.fsync(raw.fileno())  # a backup that vanishes with a power cut is no backup


def read_manifest(archive: Path) -> Manifest:
    """What a backup file holds, without extracting it. A bare SQLite file is accepted too."""
    if not archive.is_file():
        raise UserError(f"找不到备份文件：{archive}")
    with archive.open("rb") as f:
        if f.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC:
            return _raw_manifest(archive)
    try:
        with tarfile.open(archive, "r:gz") as tar:
            member = tar.extractfile("manifest.json")
            data: Any = json.loads(member.read().decode("utf-8")) if member else None
    except (tarfile.TarError, KeyError, OSError, EOFError, ValueError):
        raise UserError(f"{archive} 不是 yuqing 备份文件（或已损坏、不完整）") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("backend") not in DB_MEMBER:
        raise UserError(f"{archive} 不是 yuqing 备份文件（清单内容不对）")
    if data.get("version") != VERSION:
        raise UserError(f"{archive} 的备份格式版本 {data.get('version')} 不受支持，请升级程序")
    files = data.get("files", [])
    if not isinstance(files, list) or not set(files) <= set(VAR_NAMES):
        raise UserError(f"{archive} 不是 yuqing 备份文件（清单内容不对：files）")
    for key, kind in (
        ("counts", dict),
        ("schemas", list),
        ("created_at", str),
        ("revision", (str, type(None))),
    ):
        if key in data and not isinstance(data[key], kind):
            raise UserError(f"{archive} 不是 yuqing 备份文件（清单内容不对：{key}）")
    fields = {k: data[k] for k in Manifest.__dataclass_fields__ if k in data}
    return Manifest(**fields)


def _raw_manifest(path: Path) -> Manifest:
    engine = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true", poolclass=NullPool)
    try:
        return Manifest("sqlite", "", _revision(engine), _counts(engine), raw=True)
    finally:
        engine.dispose()
