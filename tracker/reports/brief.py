"""每日舆情简报: what happened on one Beijing calendar day, for the morning meeting.

Definitions (docs/ledger.md): new incidents are those detected that day (merged ones excluded); top
incidents rank by posts published that day; obligations "due today" have their due time in the day,
"breached today" their recorded breach time; responses count by publication time; "overdue
commitments" and "open breaches" are as of ``now`` (the stored states when the brief is made).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from analysis.taxonomy import GRADE_ORDER, GRADES, category_name
from tracker.commitments import STATUS_NAMES
from tracker.ledger import NO_UNIT, STATE_NAMES, commitment_unit, responsible_unit
from tracker.models import Commitment, Incident, Obligation, Post, Response, Unit
from tracker.notify import incident_link
from tracker.reports.periods import beijing_midnight
from tracker.settings_schema import Settings

TOP_N = 10
NEGATIVE_BELOW = 0.5  # the sentiment cut used for negative shares everywhere (tracker.responses)


@dataclass(frozen=True)
class GradeCount:
    grade_name: str
    total: int
    confirmed: int


@dataclass(frozen=True)
class BriefIncident:
    id: int
    title: str
    grade_name: str
    category_name: str
    unit_name: str
    posts: int  # published that day
    negative_share: float | None
    link: str


@dataclass(frozen=True)
class BriefObligation:
    incident_id: int
    incident_title: str
    kind: str
    unit_name: str
    due_at: datetime
    provisional: bool
    state_name: str
    met_at: datetime | None


@dataclass(frozen=True)
class BriefResponse:
    incident_id: int
    incident_title: str
    form: str
    unit_name: str
    published_at: datetime
    url: str
    candidate: bool  # captured by a spider, not yet confirmed by a person


@dataclass(frozen=True)
class BriefCommitment:
    incident_id: int
    incident_title: str
    content: str
    unit_name: str
    due_at: datetime | None
    status_name: str


@dataclass(frozen=True)
class Brief:
    day: date
    generated_at: datetime
    new_incidents: int
    by_grade: tuple[GradeCount, ...]
    by_category: tuple[tuple[str, int], ...]
    top_incidents: tuple[BriefIncident, ...]
    due_today: tuple[BriefObligation, ...]
    breached_today: tuple[BriefObligation, ...]
    open_breaches: int
    responses: tuple[BriefResponse, ...]
    commitments_due: tuple[BriefCommitment, ...]
    commitments_overdue: tuple[BriefCommitment, ...]

    @property
    def title(self) -> str:
        return f"每日舆情简报（{self.day.year}年{self.day.month}月{self.day.day}日）"

    def summary(self) -> str:
        grades = "、".join(f"{g.grade_name}{g.total}起" for g in self.by_grade)
        return (
            f"{self.day.year}年{self.day.month}月{self.day.day}日，新增舆情事件{self.new_incidents}起"
            f"（{grades}）；当日到期回应时限{len(self.due_today)}项，当日新增超时{len(self.breached_today)}项，"
            f"目前累计超时未办{self.open_breaches}项；当日发布回应{len(self.responses)}次；"
            f"当日到期承诺{len(self.commitments_due)}项，目前逾期未兑现承诺{len(self.commitments_overdue)}项。"
        )


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = beijing_midnight(day)
    return start, beijing_midnight(day + timedelta(days=1))


def daily_brief(session: Session, settings: Settings, day: date, now: datetime) -> Brief:
    lo, hi = day_bounds(day)
    new = session.scalars(
        select(Incident).where(
            Incident.detected_at >= lo, Incident.detected_at < hi, Incident.status != "merged"
        )
    ).all()
    return Brief(
        day=day,
        generated_at=now,
        new_incidents=len(new),
        by_grade=_by_grade(new),
        by_category=tuple(
            sorted(Counter(category_name(i.category) for i in new).items(), key=lambda kv: (-kv[1], kv[0]))
        ),
        top_incidents=_top_incidents(session, settings, lo, hi),
        due_today=_obligations(session, "due", lo, hi),
        breached_today=_obligations(session, "breached", lo, hi),
        open_breaches=session.scalar(select(func.count(Obligation.id)).where(Obligation.state == "breached"))
        or 0,
        responses=_responses(session, lo, hi),
        commitments_due=_commitments(
            session, Commitment.due_at >= lo, Commitment.due_at < hi, Commitment.status != "cancelled"
        ),
        commitments_overdue=_commitments(session, Commitment.status == "overdue"),
    )


def _by_grade(incidents: Sequence[Incident]) -> tuple[GradeCount, ...]:
    total: Counter[str] = Counter()
    confirmed: Counter[str] = Counter()
    for i in incidents:
        is_confirmed = bool(i.grade_confirmed and i.grade)
        code = i.grade if is_confirmed and i.grade else i.suggested_grade
        total[code] += 1
        confirmed[code] += is_confirmed
    return tuple(GradeCount(GRADES[g], total[g], confirmed[g]) for g in reversed(GRADE_ORDER))


def _top_incidents(
    session: Session, settings: Settings, lo: datetime, hi: datetime
) -> tuple[BriefIncident, ...]:
    t = func.coalesce(Post.published_at, Post.fetched_at)
    posts = func.count(Post.id)
    negative = func.sum(case((Post.sentiment < NEGATIVE_BELOW, 1), else_=0))
    stmt = (
        select(Incident, Unit.name, posts, negative)
        .join(Post, Post.incident_id == Incident.id)
        .outerjoin(Unit, Unit.id == Incident.lead_unit_id)
        .where(t >= lo, t < hi, Incident.status != "merged")
        .group_by(Incident.id, Unit.name)
        .order_by(posts.desc(), Incident.id)
        .limit(TOP_N)
    )
    out = []
    for inc, unit_name, n, neg in session.execute(stmt):
        confirmed = bool(inc.grade_confirmed and inc.grade)
        grade = GRADES.get(inc.grade if confirmed else inc.suggested_grade, "")
        out.append(
            BriefIncident(
                id=inc.id,
                title=inc.title,
                grade_name=grade if confirmed else f"建议：{grade}",
                category_name=category_name(inc.category),
                unit_name=unit_name or NO_UNIT,
                posts=int(n),
                negative_share=round(int(neg or 0) / int(n), 3) if n else None,
                link=incident_link(settings, inc.id),
            )
        )
    return tuple(out)


def _obligations(session: Session, which: str, lo: datetime, hi: datetime) -> tuple[BriefObligation, ...]:
    col = Obligation.due_at if which == "due" else Obligation.breached_at
    stmt = (
        select(Obligation, Incident.title, Unit.name)
        .join(Incident, Incident.id == Obligation.incident_id)
        .outerjoin(Unit, Unit.id == responsible_unit())
        .where(col >= lo, col < hi)
        .order_by(col, Obligation.id)
    )
    return tuple(
        BriefObligation(
            incident_id=ob.incident_id,
            incident_title=title,
            kind=ob.kind,
            unit_name=unit_name or NO_UNIT,
            due_at=ob.due_at,
            provisional=ob.provisional,
            state_name=STATE_NAMES.get(ob.state, ob.state),
            met_at=ob.met_at,
        )
        for ob, title, unit_name in session.execute(stmt)
    )


def _responses(session: Session, lo: datetime, hi: datetime) -> tuple[BriefResponse, ...]:
    stmt = (
        select(Response, Incident.title, Unit.name)
        .join(Incident, Incident.id == Response.incident_id)
        .outerjoin(Unit, Unit.id == Response.unit_id)
        .where(Response.published_at >= lo, Response.published_at < hi)
        .order_by(Response.published_at, Response.id)
    )
    return tuple(
        BriefResponse(
            incident_id=r.incident_id,
            incident_title=title,
            form=r.form,
            unit_name=unit_name or r.unit_name or NO_UNIT,
            published_at=r.published_at,
            url=r.url,
            candidate=r.candidate,
        )
        for r, title, unit_name in session.execute(stmt)
    )


def _commitments(session: Session, *conditions: ColumnElement[bool]) -> tuple[BriefCommitment, ...]:
    stmt = (
        select(Commitment, Incident.title, Unit.name)
        .join(Incident, Incident.id == Commitment.incident_id)
        .outerjoin(Unit, Unit.id == commitment_unit())
        .where(*conditions)
        .order_by(Commitment.due_at, Commitment.id)
    )
    return tuple(
        BriefCommitment(
            incident_id=c.incident_id,
            incident_title=title,
            content=c.content,
            unit_name=unit_name or NO_UNIT,
            due_at=c.due_at,
            status_name=STATUS_NAMES.get(c.status, c.status),
        )
        for c, title, unit_name in session.execute(stmt)
    )
