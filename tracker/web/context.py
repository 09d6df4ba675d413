"""Per-request context: the application, a database session, the clock, and who is logged in.

The logged-in user is reloaded from the database on every request, so a deactivated account or a
changed password takes effect at once (the session cookie holds the user id, a random login id and a
fingerprint of the password hash, nothing else of value).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from flask import Flask, current_app, g, request, session
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.app import App
from tracker.auth import ROLES, password_stamp
from tracker.models import Unit, User

#: a login ends this long after it started, however active the user is
ABSOLUTE_LIFETIME = timedelta(hours=16)
#: and this long after the last request (Flask re-signs the cookie on each request)
IDLE_LIFETIME = timedelta(hours=4)


@dataclass(frozen=True)
class CurrentUser:
    id: int
    username: str
    role: str
    unit_id: int | None
    unit_name: str

    @property
    def role_name(self) -> str:
        return ROLES.get(self.role, self.role)

    def has(self, *roles: str) -> bool:
        return self.role in roles

    @property
    def can_write(self) -> bool:
        return self.role in ("admin", "duty", "unit")

    @property
    def is_staff(self) -> bool:
        """Office staff who act on any incident (研判, units, waive, merge, close)."""
        return self.role in ("admin", "duty")


def yq() -> App:
    return cast(App, current_app.extensions["yuqing"])


def db() -> Session:
    """One database session per request, closed (and rolled back if unfinished) at teardown.

    GET and HEAD read only: their session starts a deferred transaction, so on SQLite a page view takes no
    write lock and does not queue behind a crawl's batch (every other session takes the lock up front).
    """
    if "db" not in g:
        reading = request.method in ("GET", "HEAD")
        g.db = (yq().read_sessions if reading else yq().sessions)()
        g.db_read_only = reading
    return cast(Session, g.db)


@contextmanager
def write(changes_data: bool = True) -> Iterator[Session]:
    """The request's session as one unit of work: commit on success, roll back on any error.

    Writes use the request's own session rather than a second one: on SQLite every transaction takes the
    write lock up front (tracker.db), so a second session in the same request would wait for the first.
    """
    session = db()
    if g.get("db_read_only"):
        raise RuntimeError("GET 请求不能写入数据库")  # a programming error: writes come with POST
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    writer = user()
    if changes_data and writer is not None:  # the writer's next dashboard shows the change (a login: none)
        current_app.extensions["yuqing_cache"].note_write(writer.id)


def now() -> datetime:
    """One 'now' per request, so a page is consistent with itself."""
    if "now" not in g:
        g.now = yq().clock.now()
    return cast(datetime, g.now)


def user() -> CurrentUser | None:
    return cast(CurrentUser | None, g.get("user"))


def require_user() -> CurrentUser:
    u = user()
    assert u is not None  # guaranteed by the login_required hook
    return u


class RevokedLogins:
    """Login ids ended by logout. The cookie of a logged-out session stops working even if someone kept a
    copy; entries expire with the absolute lifetime (after which the cookie is refused anyway)."""

    def __init__(self) -> None:
        self._ids: dict[str, float] = {}
        self._lock = threading.Lock()

    def revoke(self, sid: str) -> None:
        with self._lock:
            now = time.monotonic()
            self._ids = {k: v for k, v in self._ids.items() if v > now}
            self._ids[sid] = now + ABSOLUTE_LIFETIME.total_seconds()

    def __contains__(self, sid: object) -> bool:
        with self._lock:
            return isinstance(sid, str) and self._ids.get(sid, 0.0) > time.monotonic()


def revoked(flask_app: Flask) -> RevokedLogins:
    return cast(RevokedLogins, flask_app.extensions["yuqing_revoked"])


def start_login(u: User) -> None:
    """A fresh session for a fresh login: nothing from before (a planted cookie included) survives."""
    session.clear()
    session.permanent = True
    session["uid"] = u.id
    session["sid"] = secrets.token_urlsafe(24)
    session["pw"] = password_stamp(u, current_app.secret_key.encode("utf-8"))  # type: ignore[union-attr]
    session["iat"] = now().timestamp()
    session["csrf"] = secrets.token_urlsafe(32)


def end_login() -> None:
    sid = session.get("sid")
    if isinstance(sid, str):
        revoked(current_app._get_current_object()).revoke(sid)  # type: ignore[attr-defined]
    session.clear()


def load_user() -> None:
    """before_request: set g.user from the session, or clear a session that is no longer valid."""
    g.user = None
    uid, sid = session.get("uid"), session.get("sid")
    if uid is None:
        return
    iat = session.get("iat")
    expired = not isinstance(iat, int | float) or now().timestamp() - iat > ABSOLUTE_LIFETIME.total_seconds()
    found = (
        db()
        .execute(select(User, Unit.name).outerjoin(Unit, Unit.id == User.unit_id).where(User.id == uid))
        .first()
        if isinstance(uid, int)
        else None
    )
    row, unit_name = (found[0], found[1]) if found else (None, None)
    key = current_app.secret_key.encode("utf-8")  # type: ignore[union-attr]
    if (
        expired
        or row is None
        or not row.active
        or sid in revoked(current_app._get_current_object())  # type: ignore[attr-defined]
        or session.get("pw") != password_stamp(row, key)
    ):
        session.clear()
        return
    g.user = CurrentUser(row.id, row.username, row.role, row.unit_id, unit_name or "")


def close_db(_exc: BaseException | None) -> None:
    s = g.pop("db", None)
    if s is not None:
        s.close()
