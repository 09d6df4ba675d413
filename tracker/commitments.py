"""Commitments (承诺) made in responses: suggested from the response text, confirmed by a person, reminded
before they fall due, fulfilled only with evidence, and flagged and alerted when overdue."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.messages import format_commitment
from alerts.routing import AlertEvent
from analysis.taxonomy import GRADES
from tracker.audit import record
from tracker.calendar_store import load_calendar
from tracker.clock import fmt_beijing
from tracker.commitment_text import CommitmentSuggestion, extract_commitments
from tracker.deadlines import parse_office_close
from tracker.errors import UserError
from tracker.models import Commitment, Incident, Response, Unit
from tracker.notify import incident_link, queue
from tracker.settings_schema import Settings

STATUS_NAMES = {"pending": "未到期", "fulfilled": "已兑现", "overdue": "已逾期", "cancelled": "已取消"}


def suggest(session: Session, settings: Settings, response: Response) -> list[CommitmentSuggestion]:
    cal = load_calendar(session)
    return extract_commitments(
        response.text, response.published_at, cal, parse_office_close(settings.policy.office_close)
    )


def add_commitment(
    session: Session,
    response: Response,
    *,
    content: str,
    due_at: datetime | None,
    actor: str,
    now: datetime,
    periodic: bool = False,
    provisional: bool = False,
    unit_id: int | None = None,
) -> Commitment:
    if not content.strip():
        raise UserError("承诺内容不能为空")
    if due_at is None and not periodic:
        raise UserError("承诺需要到期时间；没有明确期限的（如“持续推进”）请标记为定期复查")
    c = Commitment(
        incident_id=response.incident_id,
        response_id=response.id,
        content=content.strip(),
        due_at=due_at,
        periodic=periodic,
        provisional=provisional,
        unit_id=unit_id or response.unit_id,
        status="pending",
        created_at=now,
        confirmed_by=actor,
    )
    session.add(c)
    session.flush()
    record(
        session,
        actor,
        "commitment.add",
        "commitment",
        c.id,
        {"content": c.content, "due_at": due_at.isoformat() if due_at else None, "periodic": periodic},
        now,
    )
    return c


def fulfil(
    session: Session,
    c: Commitment,
    *,
    actor: str,
    now: datetime,
    evidence_url: str = "",
    evidence_note: str = "",
    disclosed_url: str = "",
    fulfilled_at: datetime | None = None,
) -> None:
    """Mark kept. Evidence is required; whether it was made public is recorded separately."""
    if not (evidence_url.strip() or evidence_note.strip()):
        raise UserError("登记兑现需要佐证材料：链接或说明至少填写一项")
    if c.status == "cancelled":
        raise UserError("该承诺已取消，不能登记兑现")
    c.status = "fulfilled"
    c.fulfilled_at = fulfilled_at or now
    c.evidence_url = evidence_url.strip() or None
    c.evidence_note = evidence_note.strip() or None
    c.disclosed_url = disclosed_url.strip() or c.disclosed_url
    record(
        session,
        actor,
        "commitment.fulfil",
        "commitment",
        c.id,
        {
            "evidence_url": c.evidence_url,
            "evidence_note": c.evidence_note,
            "disclosed_url": c.disclosed_url,
            "fulfilled_at": c.fulfilled_at.isoformat(),
            "late": bool(c.due_at and c.fulfilled_at > c.due_at),
        },
        now,
    )


def disclose(session: Session, c: Commitment, *, url: str, actor: str, now: datetime) -> None:
    if not url.strip():
        raise UserError("请填写公开发布的链接")
    c.disclosed_url = url.strip()
    record(session, actor, "commitment.disclose", "commitment", c.id, {"url": c.disclosed_url}, now)


def sweep_commitments(session: Session, s: Settings, now: datetime) -> int:
    """Reminders before due, overdue flags, and periodic reviews of undated promises. Returns changes."""
    changed = 0
    remind_from = now + timedelta(days=s.policy.commitment_remind_days)
    for c in session.scalars(
        select(Commitment).where(Commitment.status == "pending", Commitment.due_at <= remind_from).limit(2000)
    ):
        if c.due_at is None:
            continue
        if c.due_at <= now:
            c.status = "overdue"
            record(
                session,
                "系统",
                "commitment.overdue",
                "commitment",
                c.id,
                {"due_at": c.due_at.isoformat()},
                now,
            )
            _alert(session, s, c, "commitment_overdue", f"commitment:{c.id}:overdue", now)
            changed += 1
        elif c.reminded_at is None:
            c.reminded_at = now
            _alert(session, s, c, "commitment_due", f"commitment:{c.id}:due", now)
            changed += 1
    review = timedelta(days=s.policy.commitment_review_days)
    for c in session.scalars(
        select(Commitment).where(Commitment.status == "pending", Commitment.periodic.is_(True)).limit(2000)
    ):
        last = c.reminded_at or c.created_at or now
        if now - last >= review:
            c.reminded_at = now
            period = int((now - (c.created_at or now)) / review)
            _alert(session, s, c, "commitment_due", f"commitment:{c.id}:review:{period}", now)
            changed += 1
    return changed


def _alert(session: Session, s: Settings, c: Commitment, kind: str, key: str, now: datetime) -> None:
    incident = session.get(Incident, c.incident_id)
    assert incident is not None
    unit = session.get(Unit, c.unit_id) if c.unit_id else None
    due = c.due_at or now
    title, body = format_commitment(
        kind,
        c.content,
        incident.title,
        unit.name if unit else None,
        fmt_beijing(due),
        (due - now).total_seconds(),
        incident_link(s, incident.id),
    )
    event = AlertEvent(
        kind=kind,
        grade=GRADES.get(incident.effective_grade),
        category=incident.category,
        region=incident.region or None,
        units=(unit.name,) if unit else (),
    )
    queue(session, s, key, event, title, body, now, incident_id=incident.id)
