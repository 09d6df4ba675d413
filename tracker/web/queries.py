"""Read-only queries behind the dashboard: open incidents by nearest deadline, counts, the 7-day trend.

Everything is bounded: one page of incidents, one grouped count, and a 7-day window of posts (indexed on
published_at). Results are plain values so that tracker.web.cache can share them between requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from analysis.taxonomy import GRADE_ORDER, GRADES, category_name
from tracker.clock import to_beijing
from tracker.models import Incident, IncidentUnit, Obligation, Post, Unit

OPEN_STATES = ("pending", "breached")


@dataclass(frozen=True)
class DashIncident:
    """What the dashboard shows of an incident: plain values, safe to cache and share between requests."""

    id: int
    title: str
    category: str
    effective_grade: str
    grade_confirmed: bool
    post_count: int
    negative_share: float


@dataclass(frozen=True)
class NextDeadline:
    kind: str
    start_at: datetime
    due_at: datetime
    state: str
    provisional: bool


@dataclass(frozen=True)
class DashRow:
    incident: DashIncident
    obligation: NextDeadline | None
    lead_unit: str
    open_obligations: int


@dataclass(frozen=True)
class Dashboard:
    rows: list[DashRow]
    total: int
    facets: dict[str, list[tuple[str, int]]]


def _scope(query: Any, where: ColumnElement[bool] | None) -> Any:
    return query if where is None else query.where(where)


def dashboard(session: Session, where: ColumnElement[bool] | None, page: int, per_page: int) -> Dashboard:
    rows = open_incidents(session, where, page, per_page)
    facets, total = facet_counts(session, where)
    return Dashboard(rows, total, facets)


def open_incidents(
    session: Session, where: ColumnElement[bool] | None, page: int = 1, per_page: int = 50
) -> list[DashRow]:
    """Open incidents, the one with the nearest unmet deadline first (breached ones are past due, so they
    lead); incidents with no open deadline follow, hottest first."""
    nxt = (
        select(Obligation.incident_id, func.min(Obligation.due_at).label("next_due"))
        .where(Obligation.state.in_(OPEN_STATES))
        .group_by(Obligation.incident_id)
        .subquery()
    )
    q = (
        select(Incident)
        .outerjoin(nxt, nxt.c.incident_id == Incident.id)
        .where(Incident.status == "open")
        .order_by(nxt.c.next_due.is_(None), nxt.c.next_due, Incident.heat.desc(), Incident.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    incidents = list(session.scalars(_scope(q, where)))
    ids = [i.id for i in incidents]
    obs: dict[int, list[Obligation]] = {}
    if ids:
        for ob in session.scalars(
            select(Obligation)
            .where(Obligation.incident_id.in_(ids), Obligation.state.in_(OPEN_STATES))
            .order_by(Obligation.due_at)
        ):
            obs.setdefault(ob.incident_id, []).append(ob)
    unit_ids = {i.lead_unit_id for i in incidents if i.lead_unit_id}
    names = dict(session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids))).all())
    rows = []
    for inc in incidents:
        mine = obs.get(inc.id, [])
        first = mine[0] if mine else None
        nd = (
            NextDeadline(first.kind, first.start_at, first.due_at, first.state, first.provisional)
            if first
            else None
        )
        item = DashIncident(
            inc.id,
            inc.title,
            inc.category,
            inc.effective_grade,
            inc.grade_confirmed,
            inc.post_count,
            inc.negative_share,
        )
        rows.append(DashRow(item, nd, names.get(inc.lead_unit_id or 0, ""), len(mine)))
    return rows


def facet_counts(
    session: Session, where: ColumnElement[bool] | None
) -> tuple[dict[str, list[tuple[str, int]]], int]:
    """Open incidents by category and by effective grade (confirmed, else suggested), and their total:
    one grouped query."""
    grade = func.coalesce(Incident.grade, Incident.suggested_grade)
    q = (
        select(Incident.category, grade, func.count())
        .where(Incident.status == "open")
        .group_by(Incident.category, grade)
    )
    by_cat: dict[str, int] = {}
    by_grade: dict[str, int] = {}
    for cat, g, n in session.execute(_scope(q, where)).all():
        by_cat[cat] = by_cat.get(cat, 0) + int(n)
        by_grade[g] = by_grade.get(g, 0) + int(n)
    facets = {
        "category": sorted(((category_name(c), n) for c, n in by_cat.items()), key=lambda x: -x[1]),
        "grade": [(GRADES[g], by_grade.get(g, 0)) for g in reversed(GRADE_ORDER)],
    }
    return facets, sum(by_cat.values())


def trend(session: Session, now: datetime, unit_id: int | None, days: int = 7) -> dict[str, Any]:
    """Posts per day (Beijing dates) and the negative share, over the last ``days`` days. For a unit user
    only the posts of its incidents count."""
    start_day = to_beijing(now).date() - timedelta(days=days - 1)
    since = datetime.combine(start_day, datetime.min.time(), tzinfo=to_beijing(now).tzinfo)
    q = select(Post.published_at, Post.sentiment).where(Post.published_at >= since, Post.published_at <= now)
    if unit_id is not None:
        q = q.join(Incident, Incident.id == Post.incident_id).where(
            (Incident.lead_unit_id == unit_id)
            | Incident.id.in_(select(IncidentUnit.incident_id).where(IncidentUnit.unit_id == unit_id))
        )
    labels = [(start_day + timedelta(days=i)).strftime("%m-%d") for i in range(days)]
    totals, negatives = [0] * days, [0] * days
    for day_index, total, negative in _per_day(session, q, start_day):
        if 0 <= day_index < days:
            totals[day_index] += total
            negatives[day_index] += negative
    result = {
        "labels": labels,
        "posts": totals,
        "negative_share": [
            round(n / t * 100, 1) if t else None for n, t in zip(negatives, totals, strict=True)
        ],
    }
    return result


def _per_day(session: Session, q: Any, start_day: date) -> list[tuple[int, int, int]]:
    """(day index, posts, negative posts) per Beijing day: grouped in PostgreSQL, bucketed in Python on
    SQLite (which has no time zones)."""
    sub = q.subquery()
    if session.get_bind().dialect.name == "postgresql":
        day = func.date(func.timezone("Asia/Shanghai", func.timezone("UTC", sub.c.published_at)))
        rows = session.execute(
            select(day, func.count(), func.sum(case((sub.c.sentiment < 0.5, 1), else_=0))).group_by(day)
        ).all()
        return [((d - start_day).days, int(n), int(neg or 0)) for d, n, neg in rows]
    raw = session.execute(select(sub.c.published_at, sub.c.sentiment)).all()
    return [((to_beijing(t).date() - start_day).days, 1, int(s < 0.5)) for t, s in raw]
