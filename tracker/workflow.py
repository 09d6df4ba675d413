"""The people's actions on an incident (研判, units, disposition, consultation, waive, merge/split, close),
as one service API for the CLI and the web UI. Every change writes an audit event in the same
transaction and, where it changes what the rules require, re-runs the policy."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from analysis.taxonomy import GRADES, grade_code, grade_rank
from tracker.audit import record
from tracker.errors import UserError
from tracker.incidents import add_severity_sentences
from tracker.models import (
    Commitment,
    Consultation,
    GradeChange,
    Incident,
    IncidentUnit,
    Obligation,
    Post,
    Response,
    Unit,
)
from tracker.notify import queue_incident_alert
from tracker.policy import apply_policy
from tracker.settings_schema import Settings

#: 分类处置: what each disposition requires to be published (kind, within)
DISPOSITIONS: dict[str, tuple[str, str, str]] = {
    "建设性意见": ("吸收采纳情况发布", "10wd", "公开建议的吸收采纳情况"),
    "实际困难": ("解决情况发布", "10wd", "公开为解决困难所做的工作"),
    "重大问题": ("调查处理结果发布", "30d", "公开调查及处理结果"),
    "模糊认识": ("权威信息发布", "24h", "发布权威信息澄清"),
    "错误看法": ("引导性声明", "24h", "发布引导性声明"),
    "虚假不实信息": ("辟谣", "24h", "发布辟谣信息，并移交主管部门依法处置"),
}


def confirm_grade(
    session: Session,
    settings: Settings,
    incident: Incident,
    grade: str,
    reason: str,
    actor: str,
    now: datetime,
) -> list[Obligation]:
    """研判: a person confirms or changes the grade. The reason is required; obligations follow the grade."""
    code = grade_code(grade)
    if not reason.strip():
        raise UserError("确认或调整等级需要填写理由")
    old = incident.grade if incident.grade_confirmed else None
    session.add(
        GradeChange(
            incident_id=incident.id, at=now, actor=actor, old_grade=old, new_grade=code, reason=reason.strip()
        )
    )
    incident.grade, incident.grade_confirmed = code, True
    if incident.graded_at is None:
        incident.graded_at = now
    record(
        session,
        actor,
        "incident.grade",
        "incident",
        incident.id,
        {"old": old, "new": code, "reason": reason.strip(), "suggested": incident.suggested_grade},
        now,
    )
    opened = apply_policy(session, settings, incident, now, actor=actor)
    if old is None or grade_rank(code) > grade_rank(old):
        queue_incident_alert(
            session,
            settings,
            incident,
            "grade_change",
            f"incident:{incident.id}:grade:{code}",
            now,
            extra_lines=[f"等级确认为{GRADES[code]}：{reason.strip()}"],
        )
    return opened


def assign_units(
    session: Session,
    incident: Incident,
    lead_unit_id: int | None,
    unit_ids: list[int],
    actor: str,
    now: datetime,
) -> None:
    ids = list(dict.fromkeys([*([lead_unit_id] if lead_unit_id else []), *unit_ids]))
    known = set(session.scalars(select(Unit.id).where(Unit.id.in_(ids))))
    if set(ids) - known:
        raise UserError("所选单位不存在")
    incident.lead_unit_id = lead_unit_id
    incident.units.clear()
    session.flush()
    for uid in ids:
        incident.units.append(IncidentUnit(incident_id=incident.id, unit_id=uid))
    session.execute(
        update(Obligation)
        .where(Obligation.incident_id == incident.id, Obligation.state == "pending")
        .values(unit_id=lead_unit_id)
    )
    record(
        session, actor, "incident.units", "incident", incident.id, {"lead": lead_unit_id, "units": ids}, now
    )


def waive_obligation(session: Session, ob: Obligation, reason: str, actor: str, now: datetime) -> None:
    if not reason.strip():
        raise UserError("豁免时限需要填写理由")
    if ob.state not in ("pending", "breached"):
        raise UserError("只有未完成的时限可以豁免")
    ob.state, ob.waived_reason, ob.waived_by, ob.waived_at = "waived", reason.strip(), actor, now
    record(session, actor, "obligation.waive", "obligation", ob.id, {"reason": reason.strip()}, now)


def set_disposition(
    session: Session, settings: Settings, incident: Incident, disposition: str, actor: str, now: datetime
) -> Obligation:
    """分类处置: record how the incident is handled and open what that disposition requires."""
    from tracker.calendar_store import load_calendar
    from tracker.deadlines import compute_due, parse_office_close, warning_times

    if disposition not in DISPOSITIONS:
        raise UserError(f"未知的处置类型 {disposition!r}（可用：{'、'.join(DISPOSITIONS)}）")
    kind, within, _ = DISPOSITIONS[disposition]
    incident.disposition = disposition
    rule = f"分类处置：{disposition}"
    ob = session.scalar(
        select(Obligation).where(Obligation.incident_id == incident.id, Obligation.rule == rule)
    )
    if ob is None:
        due = compute_due(
            now, within, load_calendar(session), parse_office_close(settings.policy.office_close)
        )
        warns = warning_times(now, due.due, settings.policy.warn_fractions)
        ob = Obligation(
            incident_id=incident.id,
            kind=kind,
            rule=rule,
            within=within,
            basis="graded",
            start_at=now,
            due_at=due.due,
            provisional=due.provisional,
            state="pending",
            next_check_at=warns[0] if warns else due.due,
            unit_id=incident.lead_unit_id,
        )
        session.add(ob)
        session.flush()
    record(
        session,
        actor,
        "incident.disposition",
        "incident",
        incident.id,
        {"disposition": disposition, "obligation": ob.id},
        now,
    )
    return ob


def add_consultation(
    session: Session,
    incident: Incident,
    at: datetime,
    participants: list[str],
    conclusion: str,
    actor: str,
    now: datetime,
) -> Consultation:
    """会商: units that met on the incident and what they concluded."""
    people = [p.strip() for p in participants if p.strip()]
    if not people or not conclusion.strip():
        raise UserError("会商记录需要参与单位和结论")
    c = Consultation(
        incident_id=incident.id, at=at, participants=people, conclusion=conclusion.strip(), recorded_by=actor
    )
    session.add(c)
    session.flush()
    record(
        session,
        actor,
        "incident.consultation",
        "consultation",
        c.id,
        {"incident": incident.id, "participants": people, "conclusion": conclusion.strip()},
        now,
    )
    return c


def close_incident(session: Session, incident: Incident, reason: str, actor: str, now: datetime) -> None:
    if not reason.strip():
        raise UserError("关闭事件需要填写理由")
    incident.status, incident.closed_at = "closed", now
    record(session, actor, "incident.close", "incident", incident.id, {"reason": reason.strip()}, now)


def reopen_incident(session: Session, incident: Incident, actor: str, now: datetime) -> None:
    incident.status, incident.closed_at = "open", None
    incident.needs_policy = True
    record(session, actor, "incident.reopen", "incident", incident.id, {}, now)


def merge_incidents(
    session: Session, target: Incident, others: list[Incident], actor: str, now: datetime
) -> None:
    """Fold other incidents into ``target``: posts, responses, commitments and obligations move; the
    others stay as 'merged' rows pointing at the target so links and the ledger remain traceable."""
    for other in others:
        if other.id == target.id:
            continue
        for model in (Post, Response, Commitment, Obligation, Consultation):
            session.execute(update(model).where(model.incident_id == other.id).values(incident_id=target.id))
        target.post_count += other.post_count
        target.negative_count += other.negative_count
        if other.first_post_at and (
            target.first_post_at is None or other.first_post_at < target.first_post_at
        ):
            target.first_post_at = other.first_post_at
        if other.last_post_at and (target.last_post_at is None or other.last_post_at > target.last_post_at):
            target.last_post_at = other.last_post_at
        target.topics = sorted(set(target.topics) | set(other.topics))
        target.severity_text = add_severity_sentences(target.severity_text or "", other.severity_text or "")
        other.status, other.merged_into_id, other.post_count, other.negative_count = "merged", target.id, 0, 0
        record(session, actor, "incident.merge", "incident", target.id, {"merged": other.id}, now)
    target.needs_policy = True


def split_posts(
    session: Session, incident: Incident, post_ids: list[int], title: str, actor: str, now: datetime
) -> Incident:
    """Move some posts out into a new incident (a wrong merge). Obligations stay with the original."""
    posts = session.scalars(select(Post).where(Post.id.in_(post_ids), Post.incident_id == incident.id)).all()
    if not posts or len(posts) >= incident.post_count:
        raise UserError("请选择要拆分出去的帖子（不能是全部帖子）")
    first = min(p.event_time for p in posts)
    new = Incident(
        title=(title.strip() or posts[0].title)[:200],
        category=posts[0].category,
        detected_at=now,
        first_post_at=first,
        last_post_at=max(p.event_time for p in posts),
        region=incident.region,
        source_kind=incident.source_kind,
        topics=sorted({t for p in posts for t in p.topics}),
        needs_policy=True,
    )
    session.add(new)
    session.flush()
    for p in posts:
        p.incident_id = new.id
        new.post_count += 1
        incident.post_count -= 1
        if p.sentiment < 0.5:
            new.negative_count += 1
            incident.negative_count -= 1
    incident.needs_policy = True
    record(session, actor, "incident.split", "incident", incident.id, {"new": new.id, "posts": post_ids}, now)
    return new


def set_public(
    session: Session, incident: Incident, public: bool, summary: str, actor: str, now: datetime
) -> None:
    """回应公开: staff choose what appears on the public disclosure page."""
    if public and not summary.strip():
        raise UserError("公开时需要填写事件摘要（请勿包含个人信息）")
    incident.public, incident.public_summary = public, summary.strip()
    record(session, actor, "incident.public", "incident", incident.id, {"public": public}, now)
