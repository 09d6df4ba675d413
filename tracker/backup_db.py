"""The database half of ``yuqing backup`` / ``yuqing restore``: SQLite through the online backup API,
PostgreSQL through ``pg_dump --format=custom`` and ``pg_restore``. tracker.backup wraps these into one
archive with the var/ files that belong to the database.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL, Engine, make_url

from tracker.errors import UserError

BEFORE_RESTORE = ".before-restore"


def sqlite_error(exc: sqlite3.Error, what: str) -> UserError:
    reason = str(exc)
    if "full" in reason:
        reason += "（磁盘空间不足：请清理磁盘或换一个目录）"
    return UserError(f"{what}失败：{reason}")


def sqlite_copy(src: Path, dest: Path, busy_timeout_ms: int = 30000, check: bool = True) -> None:
    """Copy a live SQLite database into ``dest`` (a new file) and, by default, check the copy.

    One backup step for all pages: the copy is a single read transaction, so it is one consistent
    snapshot; with WAL, writers carry on meanwhile (a multi-step copy would restart on every write)."""
    if not src.is_file():
        raise UserError(f"数据库文件不存在：{src}")
    try:
        with (
            closing(sqlite3.connect(src, timeout=busy_timeout_ms / 1000)) as source,
            closing(sqlite3.connect(dest)) as target,
        ):
            source.backup(target)
            # The copy inherits WAL from page 1; a self-contained file needs no -wal/-shm beside it.
            target.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as exc:
        raise sqlite_error(exc, f"复制数据库 {src}") from None
    if check:
        check_integrity(dest)


def check_integrity(path: Path) -> None:
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            rows = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    except sqlite3.Error as exc:
        raise UserError(f"数据库 {path} 无法读取：{exc}") from None
    if rows != ["ok"]:
        raise UserError(f"数据库 {path} 未通过完整性检查：{'；'.join(map(str, rows[:5]))}")


def sqlite_restore(copy: Path, target: Path, busy_timeout_ms: int = 30000) -> Path | None:
    """Put ``copy`` (already checked) in place of ``target``; the old database is kept beside it as
    ``<name>.before-restore``, which is returned (None when there was no old database)."""
    before = None
    if target.exists():
        before = target.with_name(target.name + BEFORE_RESTORE)
        before.unlink(missing_ok=True)
        try:
            sqlite_copy(target, before, busy_timeout_ms, check=False)  # keep it even if it is damaged
        except UserError:
            _raw_copy(target, before)
    try:
        # Copy into the live file (not a rename): other processes' open connections then see the
        # restored content instead of an unlinked inode.
        with (
            closing(sqlite3.connect(copy)) as source,
            closing(sqlite3.connect(target, timeout=busy_timeout_ms / 1000)) as dest,
        ):
            source.backup(dest)
    except sqlite3.DatabaseError as exc:
        if before is None or "not a database" not in str(exc):
            raise sqlite_error(exc, f"恢复到 {target}") from None
        _replace_damaged(copy, target)  # the old file is no database at all: replace it outright
    check_integrity(target)
    return before


def _raw_copy(target: Path, before: Path) -> None:
    shutil.copyfile(target, before)
    wal = target.with_name(target.name + "-wal")
    if wal.exists():
        shutil.copyfile(wal, before.with_name(before.name + "-wal"))


def _replace_damaged(copy: Path, target: Path) -> None:
    staged = target.with_name(target.name + ".restoring")
    shutil.copyfile(copy, staged)
    for suffix in ("-wal", "-shm"):
        target.with_name(target.name + suffix).unlink(missing_ok=True)
    os.replace(staged, target)


@dataclass(frozen=True)
class PgTarget:
    """How pg_dump/pg_restore reach the configured database."""

    uri: str  # libpq URI: no "+psycopg", no password
    env: dict[str, str] = field(default_factory=dict, repr=False)  # PGPASSWORD, never on a command line
    schemas: tuple[str, ...] = ()  # from options=-csearch_path=…: the database holds more than ours


_SEARCH_PATH = re.compile(r"(?:-c\s*|--)search_path\s*=\s*([^\s]+)")


def pg_target(url: str) -> PgTarget:
    parsed = make_url(url)
    env = {"PGPASSWORD": parsed.password} if parsed.password else {}
    # URL.set(password=None) would keep the password ("None" means unchanged there): build a new URL.
    bare = URL.create(
        "postgresql", parsed.username, None, parsed.host, parsed.port, parsed.database, parsed.query
    )
    uri = bare.render_as_string(hide_password=False)
    found = _SEARCH_PATH.search(str(parsed.query.get("options", "")))
    schemas: tuple[str, ...] = ()
    if found:
        names = [s.strip().strip('"') for s in found.group(1).split(",")]
        schemas = tuple(n for n in names if n and n not in ("$user", "public", "pg_catalog"))
    return PgTarget(uri, env, schemas)


def find_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise UserError(
            f"找不到 {name}：请安装 PostgreSQL 客户端（Debian/Ubuntu：apt install postgresql-client，"
            f"版本不低于数据库服务器），或把 {name} 所在目录加入 PATH"
        )
    return path


def _run(cmd: list[str], target: PgTarget, what: str) -> None:
    env = {**os.environ, **target.env}
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = " ".join(done.stderr.strip().splitlines()[-4:])
        for secret in target.env.values():
            tail = tail.replace(secret, "***")
        raise UserError(f"{what}失败（退出码 {done.returncode}）：{tail or '没有错误输出'}")


def pg_dump(target: PgTarget, dest: Path) -> None:
    cmd = [find_tool("pg_dump"), "--format=custom", f"--file={dest}", "--lock-wait-timeout=60000"]
    cmd += [f"--schema={s}" for s in target.schemas]
    _run([*cmd, f"--dbname={target.uri}"], target, "pg_dump 备份")


def pg_restore(engine: Engine, target: PgTarget, dump: Path) -> None:
    """Restore a custom-format dump in one transaction: it applies entirely or not at all.

    Our own schema is renamed aside first, because ``--clean`` cannot drop a schema that holds objects
    the dump does not know (a table from a newer migration); it is dropped after success, put back
    after a failure."""
    cmd = [find_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction"]
    aside = _rename_aside(engine, target.schemas)
    try:
        _run([*cmd, f"--dbname={target.uri}", str(dump)], target, "pg_restore 恢复")
    except BaseException:
        _put_back(engine, aside)
        raise
    with engine.begin() as conn:
        for _, tmp in aside:
            conn.execute(text(f"DROP SCHEMA {_q(engine, tmp)} CASCADE"))


def _q(engine: Engine, name: str) -> str:
    return engine.dialect.identifier_preparer.quote(name)


def _rename_aside(engine: Engine, schemas: tuple[str, ...]) -> list[tuple[str, str]]:
    moved: list[tuple[str, str]] = []
    with engine.begin() as conn:
        for schema in schemas:
            exists = conn.scalar(text("SELECT 1 FROM pg_namespace WHERE nspname = :n"), {"n": schema})
            if not exists:
                continue
            tmp = (schema[:40] + "_before_restore")[:63]
            conn.execute(text(f"DROP SCHEMA IF EXISTS {_q(engine, tmp)} CASCADE"))
            conn.execute(text(f"ALTER SCHEMA {_q(engine, schema)} RENAME TO {_q(engine, tmp)}"))
            moved.append((schema, tmp))
    return moved


def _put_back(engine: Engine, moved: list[tuple[str, str]]) -> None:
    with engine.begin() as conn:
        for schema, tmp in moved:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {_q(engine, schema)} CASCADE"))
            conn.execute(text(f"ALTER SCHEMA {_q(engine, tmp)} RENAME TO {_q(engine, schema)}"))
