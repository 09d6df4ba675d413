"""One scheduler per database (an APScheduler job store shared by two schedulers runs jobs twice).
The daemon claims a row with a heartbeat; a second daemon refuses to start while the heartbeat is fresh."""

from __future__ import annotations

import os
import socket
from datetime import timedelta

from tracker.app import App
from tracker.db import transaction
from tracker.errors import UserError
from tracker.models import SchedulerLock

STALE_AFTER = timedelta(seconds=90)
LOCK_ID = 1


def owner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def owner_is_dead_here(owner: str) -> bool:
    """The owner ran on this host and its process is gone (killed, crashed): its lock is void at once."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def acquire(app: App, owner: str) -> None:
    now = app.clock.now()
    with transaction(app.sessions) as session:
        row = session.get(SchedulerLock, LOCK_ID, with_for_update=True)
        fresh = row is not None and now - row.heartbeat_at < STALE_AFTER
        if row is not None and row.owner != owner and fresh and not owner_is_dead_here(row.owner):
            raise UserError(
                f"另一个调度进程（{row.owner}）正在使用同一数据库，最近心跳 {int((now - row.heartbeat_at).total_seconds())} 秒前。"
                "同一数据库只能运行一个 yuqing run；如确认对方已停止，请等待 90 秒后重试。"
            )
        if row is None:
            session.add(SchedulerLock(id=LOCK_ID, owner=owner, heartbeat_at=now))
        else:
            row.owner, row.heartbeat_at = owner, now


def heartbeat(app: App, owner: str) -> bool:
    """Renew the lock. False when it is no longer ours (taken over after a stall): the caller must stop."""
    with transaction(app.sessions) as session:
        row = session.get(SchedulerLock, LOCK_ID, with_for_update=True)
        if row is None or row.owner != owner:
            return False
        row.heartbeat_at = app.clock.now()
        return True


def release(app: App, owner: str) -> None:
    with transaction(app.sessions) as session:
        row = session.get(SchedulerLock, LOCK_ID)
        if row is not None and row.owner == owner:
            session.delete(row)
