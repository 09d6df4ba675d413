"""Read-only queries behind the dashboard: open incidents by nearest deadline, counts, the 7-day trend.

Everything is bounded: one page of incidents, one grouped count per facet, and a 7-day window of posts
(indexed on published_at). The trend is cached briefly because it is the same for everyone.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from analysis.taxonomy import GRADE_ORDER, GRADES, category_name
from tracker.clock import to_beijing
from tracker.models import Incident, IncidentUnit, Obligation, Post, Unit
from tracker.web.filters import Countdown, countdown

OPEN_STATES = ("pending", "breached")


@dataclass(frozen=True)
class DashRow:
    incident: Incident
    obligation: Obligation | None
    countdown: Countdown | None
    lead_unit: str
    open_obligations: int


def _scope(query: Any, where: ColumnElement[bool] | None) -> Any:
    return query if where is None else query.where(where)


def count_open(session: Session, where: ColumnElement[bool] | None) -> int:
    q = _scope(select(func.count()).select_from(Incident).where(Incident.status == "open"), where)
    return int(session.scalar(q) or 0)


def open_incidents(
    session: Session,
    where: ColumnElement[bool] | None,
    now: datetime,
    fractions: list[float],
    page: int = 1,
    per_page: int = 50,
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
        cd = countdown(first, now, fractions) if first else None
        rows.append(DashRow(inc, first, cd, names.get(inc.lead_unit_id or 0, ""), len(mine)))
    return rows


def facet_counts(session: Session, where: ColumnElement[bool] | None) -> dict[str, list[tuple[str, int]]]:
    """Open incidents by category and by effective grade (confirmed, else suggested)."""
    base = select(func.count()).select_from(Incident).where(Incident.status == "open")
    by_cat = session.execute(
        _scope(base.add_columns(Incident.category).group_by(Incident.category), where)
    ).all()
    grade = func.coalesce(Incident.grade, Incident.suggested_grade)
    by_grade = dict(
        (g, n) for n, g in session.execute(_scope(base.add_columns(grade).group_by(grade), where)).all()
    )
    return {
        "category": sorted(((category_name(c), int(n)) for n, c in by_cat), key=lambda x: -x[1]),
        "grade": [(GRADES[g], int(by_grade.get(g, 0))) for g in reversed(GRADE_ORDER)],
    }


class _TTLCache:
    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._data: dict[Any, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any | None:
        with self._lock:
            hit = self._data.get(key)
            return hit[1] if hit and hit[0] > time.monotonic() else None

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            if len(self._data) > 500:
                self._data.clear()
            self._data[key] = (time.monotonic() + self.ttl, value)


_trend_cache = _TTLCache(ttl=60.0)


def trend(session: Session, now: datetime, unit_id: int | None, days: int = 7) -> dict[str, Any]:
    """Posts per day (Beijing dates) and the negative share, over the last ``days`` days. For a unit user
    only the posts of its incidents count."""
    start_day = to_beijing(now).date() - timedelta(days=days - 1)
    key = (start_day, unit_id, days, now.replace(second=0, microsecond=0) if unit_id else None)
    cached = _trend_cache.get(key)
    if cached is not None:
        return dict(cached)
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
    _trend_cache.put(key, result)
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
