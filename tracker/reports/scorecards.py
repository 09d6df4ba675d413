"""Unit scorecards (单位考核) over an appraisal period. Each number is defined in docs/ledger.md; in short:

Obligations are those whose due time falls in the period (the same rows as
``yuqing export ledger --by due`` over the period), counted by their stored state, per responsible unit.
Commitments "due" are those whose due date falls in the period (cancelled ones excluded); commitments
"made" are those promised in a response published in the period.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.ledger import NO_UNIT, commitment_unit, responsible_unit
from tracker.models import Commitment, Incident, Obligation, Response, Unit
from tracker.reports.periods import Period


@dataclass(frozen=True)
class Scorecard:
    unit_id: int | None
    unit_name: str
    due: int = 0  # obligations due in the period
    on_time: int = 0  # met
    late: int = 0  # met_late
    breached: int = 0  # breached and still unmet
    waived: int = 0
    pending: int = 0  # not yet due (or past due and not yet swept: see pending_past_due)
    pending_past_due: int = 0
    median_response: timedelta | None = None  # over on_time + late: start → met (0 when met before start)
    commitments_made: int = 0  # promised in the period, cancelled included
    commitments_cancelled: int = 0  # of those made
    commitments_due: int = 0  # due in the period, cancelled excluded
    commitments_on_time: int = 0
    commitments_late: int = 0
    commitments_overdue: int = 0  # status overdue: past due and not fulfilled
    commitments_pending: int = 0  # not yet due (or not yet swept)
    commitments_disclosed: int = 0  # of those due: fulfilled and made public
    commitments_pending_past_due: int = 0

    @property
    def assessed(self) -> int:
        """Obligations with an outcome: due − waived − pending."""
        return self.on_time + self.late + self.breached

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.assessed if self.assessed else None

    @property
    def commitments_kept(self) -> int:
        return self.commitments_on_time + self.commitments_late

    @property
    def commitment_on_time_rate(self) -> float | None:
        judged = self.commitments_due - self.commitments_pending
        return self.commitments_on_time / judged if judged else None


@dataclass(frozen=True)
class ScorecardReport:
    period: Period
    generated_at: datetime
    units: list[Scorecard]
    total: Scorecard

    @property
    def unswept(self) -> int:
        """Obligations and commitments past due still marked pending: the sweep has not run since."""
        return self.total.pending_past_due + self.total.commitments_pending_past_due


@dataclass
class _Acc:
    counts: dict[str, int]
    durations: list[float]

    @classmethod
    def new(cls) -> _Acc:
        return cls(defaultdict(int), [])


def scorecard_report(session: Session, period: Period, now: datetime) -> ScorecardReport:
    """Every configured unit (even with nothing to count), "未指定单位" when needed, and the total."""
    accs: dict[int | None, _Acc] = defaultdict(_Acc.new)
    total = _Acc.new()
    for unit_id, key, seconds in _facts(session, period, now):
        for acc in (accs[unit_id], total):
            acc.counts[key] += 1
            if seconds is not None:
                acc.durations.append(seconds)
    units: list[tuple[int | None, str]] = [
        (uid, name) for uid, name in session.execute(select(Unit.id, Unit.name).order_by(Unit.id))
    ]
    if None in accs:
        units.append((None, NO_UNIT))
    cards = [_card(uid, name, accs.get(uid) or _Acc.new()) for uid, name in units]
    return ScorecardReport(period, now, cards, _card(None, "合计", total))


def unit_scorecards(session: Session, period: Period, now: datetime) -> list[Scorecard]:
    return scorecard_report(session, period, now).units


def _card(unit_id: int | None, name: str, acc: _Acc) -> Scorecard:
    c = acc.counts
    median = statistics.median(acc.durations) if acc.durations else None
    return Scorecard(
        unit_id=unit_id,
        unit_name=name,
        due=c["due"],
        on_time=c["met"],
        late=c["met_late"],
        breached=c["breached"],
        waived=c["waived"],
        pending=c["pending"],
        pending_past_due=c["pending_past_due"],
        median_response=None if median is None else timedelta(seconds=round(median)),
        commitments_made=c["c_made"],
        commitments_cancelled=c["c_cancelled"],
        commitments_due=c["c_due"],
        commitments_on_time=c["c_on_time"],
        commitments_late=c["c_late"],
        commitments_overdue=c["c_overdue"],
        commitments_pending=c["c_pending"],
        commitments_disclosed=c["c_disclosed"],
        commitments_pending_past_due=c["c_pending_past_due"],
    )


_Fact = tuple[int | None, str, float | None]


def _facts(session: Session, period: Period, now: datetime) -> Iterable[_Fact]:
    """(unit, counter, response seconds) for every counted event; counters are summed per unit."""
    yield from _obligation_facts(session, period, now)
    yield from _commitment_due_facts(session, period, now)
    yield from _commitment_made_facts(session, period)


def _obligation_facts(session: Session, period: Period, now: datetime) -> Iterable[_Fact]:
    stmt = (
        select(
            responsible_unit(), Obligation.state, Obligation.start_at, Obligation.due_at, Obligation.met_at
        )
        .join(Incident, Incident.id == Obligation.incident_id)
        .where(Obligation.due_at >= period.start, Obligation.due_at < period.end)
    )
    for unit_id, state, start_at, due_at, met_at in session.execute(stmt):
        yield unit_id, "due", None
        seconds = None
        if state in ("met", "met_late") and met_at is not None:
            seconds = max((met_at - start_at).total_seconds(), 0.0)
        yield unit_id, state, seconds
        if state == "pending" and due_at <= now:
            yield unit_id, "pending_past_due", None


def _commitment_due_facts(session: Session, period: Period, now: datetime) -> Iterable[_Fact]:
    stmt = (
        select(
            commitment_unit(),
            Commitment.status,
            Commitment.due_at,
            Commitment.fulfilled_at,
            Commitment.disclosed_url,
        )
        .join(Incident, Incident.id == Commitment.incident_id)
        .where(
            Commitment.due_at >= period.start,
            Commitment.due_at < period.end,
            Commitment.status != "cancelled",
        )
    )
    for unit_id, status, due_at, fulfilled_at, disclosed in session.execute(stmt):
        yield unit_id, "c_due", None
        if status == "fulfilled":
            on_time = fulfilled_at is not None and fulfilled_at <= due_at
            yield unit_id, "c_on_time" if on_time else "c_late", None
            if disclosed:
                yield unit_id, "c_disclosed", None
        elif status == "overdue":
            yield unit_id, "c_overdue", None
        else:
            yield unit_id, "c_pending", None
            if due_at <= now:
                yield unit_id, "c_pending_past_due", None


def _commitment_made_facts(session: Session, period: Period) -> Iterable[_Fact]:
    promised = func.coalesce(Response.published_at, Commitment.created_at)
    stmt = (
        select(commitment_unit(), Commitment.status)
        .join(Incident, Incident.id == Commitment.incident_id)
        .outerjoin(Response, Response.id == Commitment.response_id)
        .where(promised >= period.start, promised < period.end)
    )
    for unit_id, status in session.execute(stmt):
        yield unit_id, "c_made", None
        if status == "cancelled":
            yield unit_id, "c_cancelled", None
