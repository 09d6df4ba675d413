"""``/healthz``: for monitoring. No login; only counts and times, no incident or source names.

HTTP 503 when the database does not answer. With ``?strict=1`` also when the scheduler heartbeat is stale,
so a plain HTTP check can watch the daemon too.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from tracker.clock import iso_beijing
from tracker.models import AlertOutbox, SchedulerLock, Source
from tracker.web.context import db, now

bp = Blueprint("health", __name__)

#: the scheduler beats every minute; three missed beats mean it is not running
HEARTBEAT_STALE_S = 180


@bp.route("/healthz")
def healthz() -> ResponseReturnValue:
    t = now()
    body: dict[str, Any] = {"time": iso_beijing(t)}
    try:
        session = db()
        session.execute(text("SELECT 1"))
        body["database"] = {"ok": True}
        lock = session.scalar(select(SchedulerLock).order_by(SchedulerLock.heartbeat_at.desc()).limit(1))
        age = (t - lock.heartbeat_at).total_seconds() if lock else None
        body["scheduler"] = {
            "ok": age is not None and age <= HEARTBEAT_STALE_S,
            "heartbeat_at": iso_beijing(lock.heartbeat_at) if lock else None,
            "age_s": round(age) if age is not None else None,
        }
        enabled = Source.enabled.is_(True)
        body["sources"] = {
            "enabled": session.scalar(select(func.count()).select_from(Source).where(enabled)) or 0,
            "failing": session.scalar(
                select(func.count()).select_from(Source).where(enabled, Source.consecutive_failures > 0)
            )
            or 0,
        }
        waiting = (
            AlertOutbox.sent_at.is_(None),
            AlertOutbox.failed.is_(False),
            AlertOutbox.digest_of.is_(None),
        )
        backlog, oldest = session.execute(
            select(func.count(), func.min(AlertOutbox.created_at)).where(*waiting)
        ).one()
        failed = session.scalar(
            select(func.count()).select_from(AlertOutbox).where(AlertOutbox.failed.is_(True))
        )
        body["outbox"] = {
            "backlog": int(backlog),
            "failed": int(failed or 0),
            "oldest_age_s": round((t - oldest).total_seconds()) if oldest else None,
        }
    except SQLAlchemyError as exc:
        body["database"] = {"ok": False, "error": type(exc).__name__}
        body["status"] = "down"
        return jsonify(body), 503
    degraded = not body["scheduler"]["ok"] or body["sources"]["failing"] > 0
    body["status"] = "degraded" if degraded else "ok"
    strict = request.args.get("strict") in ("1", "true")
    return jsonify(body), 503 if strict and not body["scheduler"]["ok"] else 200
