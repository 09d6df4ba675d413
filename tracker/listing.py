"""Read-only views shared by the CLI (`posts`, `incidents`, `status`) and the web UI's JSON endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from analysis.taxonomy import GRADES, category_name
from tracker.clock import iso_beijing
from tracker.models import AlertOutbox, Incident, Obligation, Post, SchedulerLock, Source, Unit

STATE_NAMES = {
    "pending": "待办",
    "met": "按时完成",
    "met_late": "逾期完成",
    "breached": "已超时",
    "waived": "已豁免",
}


def post_rows(session: Session, limit: int = 100, incident_id: int | None = None) -> list[dict[str, Any]]:
    q = (
        select(Post, Source.name)
        .join(Source, Source.id == Post.source_id)
        .order_by(Post.id.desc())
        .limit(limit)
    )
    if incident_id is not None:
        q = q.where(Post.incident_id == incident_id)
    out = []
    for post, source in session.execute(q):
        out.append(
            {
                "id": post.id,
                "source": source,
                "url": post.url,
                "title": post.title,
                "text": post.text,
                "published_at": iso_beijing(post.published_at),
                "fetched_at": iso_beijing(post.fetched_at),
                "sentiment": round(post.sentiment, 4),
                "sentiment_model": post.sentiment_model,
                "category": post.category,
                "categories": post.categories,
                "topics": post.topics,
                "incident_id": post.incident_id,
            }
        )
    return out


def obligation_dict(ob: Obligation, now: datetime) -> dict[str, Any]:
    return {
        "id": ob.id,
        "kind": ob.kind,
        "rule": ob.rule,
        "within": ob.within,
        "basis": ob.basis,
        "start": iso_beijing(ob.start_at),
        "due": iso_beijing(ob.due_at),
        "seconds_left": int((ob.due_at - now).total_seconds()),
        "provisional": ob.provisional,
        "state": ob.state,
        "state_name": STATE_NAMES.get(ob.state, ob.state),
        "met_at": iso_beijing(ob.met_at),
    }


def incident_rows(
    session: Session, now: datetime, limit: int = 100, include_closed: bool = False
) -> list[dict[str, Any]]:
    q = select(Incident).order_by(Incident.id.desc()).limit(limit)
    if not include_closed:
        q = q.where(Incident.status == "open")
    incidents = session.scalars(q).all()
    ids = [i.id for i in incidents]
    obligations: dict[int, list[Obligation]] = {}
    for ob in session.scalars(
        select(Obligation).where(Obligation.incident_id.in_(ids)).order_by(Obligation.due_at)
    ):
        obligations.setdefault(ob.incident_id, []).append(ob)
    units = {u.id: u.name for u in session.scalars(select(Unit))}
    out = []
    for i in incidents:
        out.append(
            {
                "id": i.id,
                "title": i.title,
                "category": i.category,
                "category_name": category_name(i.category),
                "grade": i.grade if i.grade_confirmed else None,
                "suggested_grade": i.suggested_grade,
                "grade_name": GRADES.get(i.effective_grade, "") + ("" if i.grade_confirmed else "（建议）"),
                "suggested_reasons": i.suggested_reasons,
                "status": i.status,
                "first_post_at": iso_beijing(i.first_post_at),
                "detected_at": iso_beijing(i.detected_at),
                "post_count": i.post_count,
                "negative_share": round(i.negative_share, 3),
                "topics": i.topics,
                "lead_unit": units.get(i.lead_unit_id) if i.lead_unit_id else None,
                "obligations": [obligation_dict(ob, now) for ob in obligations.get(i.id, [])],
            }
        )
    return out


def status(session: Session, now: datetime) -> dict[str, Any]:
    sources = [
        {
            "name": s.name,
            "kind": s.kind,
            "enabled": s.enabled,
            "last_ok_at": iso_beijing(s.last_ok_at),
            "last_error_at": iso_beijing(s.last_error_at),
            "last_error_kind": s.last_error_kind,
            "last_error": s.last_error,
            "consecutive_failures": s.consecutive_failures,
            "last_counts": s.last_counts,
            "total_posts": s.total_posts,
        }
        for s in session.scalars(select(Source).order_by(Source.name))
    ]

    def count(*where: Any) -> int:
        return int(session.scalar(select(func.count()).select_from(Obligation).where(*where)) or 0)

    def outbox(*where: Any) -> int:
        return int(session.scalar(select(func.count()).select_from(AlertOutbox).where(*where)) or 0)

    lock = session.get(SchedulerLock, 1)
    return {
        "now": iso_beijing(now),
        "sources": sources,
        "obligations": {
            "pending": count(Obligation.state == "pending"),
            "provisional": count(Obligation.state == "pending", Obligation.provisional.is_(True)),
            "breached": count(Obligation.state == "breached"),
        },
        "outbox": {
            "pending": outbox(AlertOutbox.sent_at.is_(None), AlertOutbox.failed.is_(False)),
            "failed": outbox(AlertOutbox.failed.is_(True)),
            "sent": outbox(AlertOutbox.sent_at.is_not(None)),
        },
        "scheduler": {"owner": lock.owner, "heartbeat_at": iso_beijing(lock.heartbeat_at)} if lock else None,
    }
