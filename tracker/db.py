"""Engine and sessions. SQLite gets WAL, a busy timeout and ``BEGIN IMMEDIATE`` so that the crawler, the
daemon and the web process can all write without "database is locked" (see PITFALLS: with defaults two
writer processes lose about half their writes)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from tracker.settings_schema import DatabaseSettings


def resolve_url(url: str, root: str | Path = ".") -> str:
    """Relative SQLite paths are relative to the config file's folder, and their folder is created."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        path = Path(parsed.database)
        if not path.is_absolute():
            path = Path(root) / path
        path.parent.mkdir(parents=True, exist_ok=True)
        return str(parsed.set(database=str(path)))
    return url


def make_engine(url: str, busy_timeout_ms: int = 30000, echo: bool = False) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, echo=echo, pool_pre_ping=True, future=True)
    engine = create_engine(
        url, echo=echo, connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False}
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (pysqlite's implicit transactions would start too late).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Take the write lock up front: a deferred transaction that later wants to write cannot wait for
        # the lock (SQLite returns SQLITE_BUSY at once to avoid deadlock), which loses writes.
        # Read-only work (read_transaction) needs no lock under WAL and must not queue behind writers.
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")

    return engine


READ_ONLY = "yuqing_read_only"


def engine_from_settings(db: DatabaseSettings, root: str | Path = ".") -> Engine:
    return make_engine(resolve_url(db.url, root), db.busy_timeout_ms, db.echo)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def read_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for reading only: on SQLite they start a deferred transaction (no write lock)."""
    return sessionmaker(engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)


#: PostgreSQL chose the transaction as a deadlock or serialisation victim and rolled it back whole: doing it
#: again is safe (the database asks clients to retry)
RETRYABLE_SQLSTATES = ("40P01", "40001")


def is_retryable(exc: BaseException) -> bool:
    return getattr(getattr(exc, "orig", None), "sqlstate", None) in RETRYABLE_SQLSTATES


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
