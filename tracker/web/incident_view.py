"""Everything the incident page shows, gathered in a few bounded queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from tracker.clock import to_beijing
from tracker.models import (
    AuditEvent,
    Commitment,
    Consultation,
    GradeChange,
    Incident,
    IncidentUnit,
    Obligation,
    Post,
    Response,
    Source,
    Unit,
)
from tracker.web.filters import Countdown, countdown

POSTS_PER_PAGE = 50
AUDIT_LIMIT = 200
CHART_POST_LIMIT = 50000

ACTION_NAMES = {
    "incident.grade": "确认/调整等级",
    "incident.units": "指定责任单位",
    "incident.disposition": "分类处置",
    "incident.consultation": "会商",
    "incident.close": "关闭事件",
    "incident.reopen": "重新打开",
    "incident.merge": "合并事件",
    "incident.split": "拆分事件",
    "incident.public": "设置公开",
    "obligation.open": "开启时限",
    "obligation.reopen": "恢复时限",
    "obligation.waive": "豁免时限",
    "obligation.met": "按时完成时限",
    "obligation.met_late": "逾期完成时限",
    "obligation.breached": "时限超时",
    "response.log": "登记回应",
    "commitment.add": "登记承诺",
    "commitment.fulfil": "登记兑现",
    "commitment.disclose": "登记公开",
    "commitment.overdue": "承诺逾期",
}


@dataclass
class IncidentPage:
    incident: Incident
    lead_unit: Unit | None
    units: list[Unit]
    grade_history: list[GradeChange]
    obligations: list[tuple[Obligation, Countdown]]
    responses: list[Response]
    satisfied: dict[int, list[Obligation]]
    commitments: list[Commitment]
    consultations: list[Consultation]
    posts: list[Post]
    post_total: int
    sources: dict[int, str]
    chart: dict[str, Any]
    audit: list[AuditEvent]
    merged_from: list[int] = field(default_factory=list)
    unit_names: dict[int, str] = field(default_factory=dict)
    all_units: list[Unit] = field(default_factory=list)


def _rows(session: Session, model: Any, iid: int, order: Any) -> list[Any]:
    return list(session.scalars(select(model).where(model.incident_id == iid).order_by(order)))


def _posts(session: Session, iid: int, page: int) -> tuple[list[Post], dict[int, str]]:
    """One page of posts, newest first, with their sources' names."""
    rows = session.execute(
        select(Post, Source.name)
        .join(Source, Source.id == Post.source_id)
        .where(Post.incident_id == iid)
        .order_by(func.coalesce(Post.published_at, Post.fetched_at).desc(), Post.id.desc())
        .limit(POSTS_PER_PAGE)
        .offset((page - 1) * POSTS_PER_PAGE)
    ).all()
    return [p for p, _ in rows], {p.source_id: name for p, name in rows}


def load_page(
    session: Session, incident: Incident, now: datetime, fractions: list[float], page: int
) -> IncidentPage:
    iid = incident.id
    unit_ids = list(session.scalars(select(IncidentUnit.unit_id).where(IncidentUnit.incident_id == iid)))
    obligations = _rows(session, Obligation, iid, Obligation.due_at)
    responses = _rows(session, Response, iid, Response.published_at)
    commitments = _rows(session, Commitment, iid, Commitment.id)
    consultations = _rows(session, Consultation, iid, Consultation.at)
    satisfied: dict[int, list[Obligation]] = {}
    for ob in obligations:
        if ob.response_id:
            satisfied.setdefault(ob.response_id, []).append(ob)
    posts, sources = _posts(session, iid, page)
    chart, counted = post_chart(session, iid)
    if counted >= CHART_POST_LIMIT:  # the chart stopped counting: count them all
        counted = session.scalar(select(func.count()).select_from(Post).where(Post.incident_id == iid)) or 0
    # Units are few (the offices of one city or county): one query serves names and the forms.
    all_units = list(session.scalars(select(Unit).order_by(Unit.name)))
    by_id = {u.id: u for u in all_units}
    return IncidentPage(
        incident=incident,
        lead_unit=by_id.get(incident.lead_unit_id or 0),
        units=[by_id[u] for u in unit_ids if u in by_id],
        grade_history=_rows(session, GradeChange, iid, GradeChange.at),
        obligations=[(ob, countdown(ob, now, fractions)) for ob in obligations],
        responses=responses,
        satisfied=satisfied,
        commitments=commitments,
        consultations=consultations,
        posts=posts,
        post_total=counted,
        sources=sources,
        chart=chart,
        audit=_audit(session, iid, obligations, responses, commitments, consultations),
        merged_from=_merged_from(session, iid),
        unit_names={u.id: u.name for u in all_units},
        all_units=all_units,
    )


def _audit(
    session: Session,
    iid: int,
    obligations: list[Obligation],
    responses: list[Response],
    commitments: list[Commitment],
    consultations: list[Consultation],
) -> list[AuditEvent]:
    def about(entity: str, ids: list[int]) -> Any:
        return and_(AuditEvent.entity == entity, AuditEvent.entity_id.in_(ids)) if ids else None

    clauses = [
        c
        for c in (
            and_(AuditEvent.entity == "incident", AuditEvent.entity_id == iid),
            about("obligation", [o.id for o in obligations]),
            about("response", [r.id for r in responses]),
            about("commitment", [c.id for c in commitments]),
            about("consultation", [c.id for c in consultations]),
        )
        if c is not None
    ]
    return list(
        session.scalars(
            select(AuditEvent).where(or_(*clauses)).order_by(AuditEvent.id.desc()).limit(AUDIT_LIMIT)
        )
    )


def _merged_from(session: Session, iid: int) -> list[int]:
    """Incidents folded into this one, from the audit trail (indexed by entity; merged_into_id is not)."""
    payloads = session.scalars(
        select(AuditEvent.payload).where(
            AuditEvent.entity == "incident",
            AuditEvent.entity_id == iid,
            AuditEvent.action == "incident.merge",
        )
    )
    return sorted({int(p["merged"]) for p in payloads if isinstance(p, dict) and "merged" in p})


def post_chart(session: Session, iid: int) -> tuple[dict[str, Any], int]:
    """Posts and negative share per hour (per day when the incident spans more than three days), and how
    many posts were counted (at most CHART_POST_LIMIT)."""
    rows = session.execute(
        select(func.coalesce(Post.published_at, Post.fetched_at), Post.sentiment)
        .where(Post.incident_id == iid)
        .limit(CHART_POST_LIMIT)
    ).all()
    if not rows:
        return {"labels": [], "posts": [], "negative_share": []}, 0
    times = [to_beijing(t) for t, _ in rows]
    daily = max(times) - min(times) > timedelta(days=3)
    fmt = "%m-%d" if daily else "%m-%d %H时"
    buckets: dict[str, list[int]] = {}
    for t, (_, sentiment) in sorted(zip(times, rows, strict=True), key=lambda x: x[0]):
        b = buckets.setdefault(t.strftime(fmt), [0, 0])
        b[0] += 1
        b[1] += int(sentiment < 0.5)
    chart = {
        "labels": list(buckets),
        "posts": [b[0] for b in buckets.values()],
        "negative_share": [round(b[1] / b[0] * 100, 1) for b in buckets.values()],
    }
    return chart, len(rows)


def describe_payload(payload: dict[str, Any]) -> str:
    """An audit payload as one readable line (escaped by the template like any other text)."""
    parts = []
    for key, value in payload.items():
        if isinstance(value, str) and len(value) > 200:
            value = value[:200] + "…"
        parts.append(f"{key}: {value}")
    return "；".join(parts)
