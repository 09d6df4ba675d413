"""舆情回应台账: one row per obligation, with its incident, unit, deadline, response and commitments.

The CLI export and the web ledger page both call ``ledger_rows`` and format through
``tracker.reports.ledger_columns``, so a reviewer sees the same numbers in Excel and in the browser.
Every state shown is the stored one (the sweep records a breach at its true due time); nothing here
reads the clock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import ColumnElement, Select, SQLColumnExpression, and_, case, func, select
from sqlalchemy.orm import Session

from analysis.taxonomy import GRADES
from tracker.clock import fmt_beijing
from tracker.errors import UserError
from tracker.models import Commitment, Consultation, Incident, Obligation, Response, Unit
from tracker.reports.ledger_model import (
    NO_UNIT,
    STATE_BY_NAME,
    STATE_NAMES,
    CommitmentEntry,
    Effect,
    LedgerRow,
)

__all__ = [
    "NO_UNIT",
    "PERIOD_BASES",
    "STATE_BY_NAME",
    "STATE_NAMES",
    "CommitmentEntry",
    "Effect",
    "LedgerFilters",
    "LedgerPage",
    "LedgerRow",
    "commitment_entries",
    "ledger_commitments",
    "ledger_page",
    "ledger_rows",
    "write_commitments_csv",
    "write_csv",
    "write_xlsx",
]

#: which time the period filter looks at
PERIOD_BASES: dict[str, str] = {
    "start": "时限起算时间",
    "first_post": "事件首发时间",
    "due": "截止时间",
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CHUNK = 500  # ids per IN (...) list: far below SQLite's and PostgreSQL's parameter limits


@dataclass(frozen=True)
class LedgerFilters:
    """What to include. ``start`` is inclusive and ``end`` exclusive (aware datetimes); ``grade`` is a
    code (I..IV) matched against the confirmed grade, or the suggestion while unconfirmed; ``unit_id``
    is matched against the obligation's responsible unit (see ``responsible_unit``)."""

    start: datetime | None = None
    end: datetime | None = None
    basis: str = "start"
    unit_id: int | None = None
    category: str | None = None
    grade: str | None = None
    states: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.basis not in PERIOD_BASES:
            raise UserError(f"未知的时间口径 {self.basis!r}（可用：{'、'.join(PERIOD_BASES)}）")
        for t in (self.start, self.end):
            if t is not None and t.tzinfo is None:
                raise UserError("台账筛选时间必须带时区")
        if self.start and self.end and self.start >= self.end:
            raise UserError("开始日期必须早于结束日期")
        if self.grade is not None and self.grade not in GRADES:
            raise UserError(f"未知的等级 {self.grade!r}")
        unknown = [s for s in self.states if s not in STATE_NAMES]
        if unknown:
            raise UserError(f"未知的状态 {'、'.join(unknown)}（可用：{'、'.join(STATE_NAMES.values())}）")


@dataclass
class _Extras:
    consultations: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    commitments: dict[int, list[CommitmentEntry]] = field(default_factory=lambda: defaultdict(list))


def responsible_unit() -> ColumnElement[Any]:
    """An obligation's unit: the one recorded on it, else the incident's lead unit (obligations opened
    before units were assigned and already closed keep no unit of their own)."""
    return func.coalesce(Obligation.unit_id, Incident.lead_unit_id)


def commitment_unit() -> ColumnElement[Any]:
    return func.coalesce(Commitment.unit_id, Incident.lead_unit_id)


def effective_grade() -> ColumnElement[Any]:
    confirmed = and_(Incident.grade_confirmed.is_(True), Incident.grade.is_not(None))
    return case((confirmed, Incident.grade), else_=Incident.suggested_grade)


def period_column(basis: str) -> SQLColumnExpression[datetime]:
    if basis == "due":
        return Obligation.due_at
    if basis == "first_post":
        return func.coalesce(Incident.first_post_at, Incident.detected_at)
    return Obligation.start_at


def ledger_rows(session: Session, filters: LedgerFilters) -> list[LedgerRow]:
    """The ledger, ordered by start time, incident and due time."""
    return _rows(session, _statement(filters))


@dataclass(frozen=True)
class LedgerPage:
    rows: list[LedgerRow]  # this page's rows, in ledger order
    total: int  # obligations matching the filters
    incidents: int  # distinct incidents among them


def ledger_page(session: Session, filters: LedgerFilters, limit: int, offset: int = 0) -> LedgerPage:
    """One page of the ledger and the size of the whole: the page's rows are the only ones built (a
    half-year of a province is tens of thousands of obligations; the browser shows a hundred at a time)."""
    unit = responsible_unit()
    total, incidents = session.execute(
        select(func.count(), func.count(func.distinct(Obligation.incident_id)))
        .select_from(Obligation)
        .join(Incident, Incident.id == Obligation.incident_id)
        .where(*_conditions(filters, unit))
    ).one()
    rows = _rows(session, _statement(filters).limit(limit).offset(offset)) if total > offset else []
    return LedgerPage(rows, int(total), int(incidents))


def _statement(filters: LedgerFilters) -> Select[Any]:
    unit = responsible_unit()
    return (
        select(Obligation, Incident, Unit.name, Response.form, Response.url, Response.effect)
        .join(Incident, Incident.id == Obligation.incident_id)
        .outerjoin(Unit, Unit.id == unit)
        .outerjoin(Response, Response.id == Obligation.response_id)
        .where(*_conditions(filters, unit))
        .order_by(Obligation.start_at, Obligation.incident_id, Obligation.due_at, Obligation.id)
    )


def _rows(session: Session, stmt: Select[Any]) -> list[LedgerRow]:
    found = session.execute(stmt).all()
    extras = _load_extras(session, sorted({ob.incident_id for ob, *_ in found}))
    return [
        _row(ob, inc, unit_name, form, url, effect, extras) for ob, inc, unit_name, form, url, effect in found
    ]


def _conditions(filters: LedgerFilters, unit: ColumnElement[Any]) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    when = period_column(filters.basis)
    if filters.start is not None:
        conds.append(when >= filters.start)
    if filters.end is not None:
        conds.append(when < filters.end)
    if filters.unit_id is not None:
        conds.append(unit == filters.unit_id)
    if filters.category is not None:
        conds.append(Incident.category == filters.category)
    if filters.grade is not None:
        conds.append(effective_grade() == filters.grade)
    if filters.states:
        conds.append(Obligation.state.in_(filters.states))
    return conds


def _row(
    ob: Obligation,
    inc: Incident,
    unit_name: str | None,
    form: str | None,
    url: str | None,
    effect: dict[str, Any] | None,
    extras: _Extras,
) -> LedgerRow:
    return LedgerRow(
        obligation_id=ob.id,
        incident_id=inc.id,
        incident_title=inc.title,
        category=inc.category,
        grade=inc.grade if inc.grade_confirmed and inc.grade else inc.suggested_grade,
        grade_confirmed=bool(inc.grade_confirmed and inc.grade),
        unit_id=ob.unit_id if ob.unit_id is not None else inc.lead_unit_id,
        unit_name=unit_name or NO_UNIT,
        kind=ob.kind,
        rule=ob.rule,
        within=ob.within,
        basis=ob.basis,
        start_at=ob.start_at,
        due_at=ob.due_at,
        provisional=ob.provisional,
        met_at=ob.met_at,
        breached_at=ob.breached_at,
        state=ob.state,
        waived_reason=ob.waived_reason or "",
        response_form=form or "",
        response_url=url or "",
        disposition=inc.disposition or "",
        consultations=tuple(extras.consultations.get(inc.id, ())),
        commitments=tuple(extras.commitments.get(inc.id, ())),
        effect=Effect.from_json(effect),
    )


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i : i + _CHUNK]


def _load_extras(session: Session, incident_ids: Sequence[int]) -> _Extras:
    extras = _Extras()
    for chunk in _chunks(incident_ids):
        for c in session.scalars(
            select(Consultation)
            .where(Consultation.incident_id.in_(chunk))
            .order_by(Consultation.at, Consultation.id)
        ):
            extras.consultations[c.incident_id].append(
                f"{fmt_beijing(c.at)} {'、'.join(str(p) for p in c.participants)}：{c.conclusion}"
            )
        for entry in commitment_entries(session, chunk):
            extras.commitments[entry.incident_id].append(entry)
    return extras


def commitment_entries(session: Session, incident_ids: Sequence[int]) -> list[CommitmentEntry]:
    """The commitments of these incidents, by incident, then due date (undated last), then id."""
    stmt = (
        select(Commitment, Incident.title, Unit.name, Response.published_at)
        .join(Incident, Incident.id == Commitment.incident_id)
        .outerjoin(Unit, Unit.id == commitment_unit())
        .outerjoin(Response, Response.id == Commitment.response_id)
        .where(Commitment.incident_id.in_(incident_ids))
    )
    out = [
        CommitmentEntry(
            id=c.id,
            incident_id=c.incident_id,
            incident_title=title,
            unit_name=unit_name or NO_UNIT,
            content=c.content,
            promised_at=published or c.created_at,
            due_at=c.due_at,
            periodic=c.periodic,
            provisional=c.provisional,
            status=c.status,
            fulfilled_at=c.fulfilled_at,
            evidence_url=c.evidence_url or "",
            evidence_note=c.evidence_note or "",
            disclosed_url=c.disclosed_url or "",
        )
        for c, title, unit_name, published in session.execute(stmt)
    ]
    out.sort(key=lambda e: (e.incident_id, e.due_at is None, e.due_at or _EPOCH, e.id))
    return out


def ledger_commitments(rows: Sequence[LedgerRow]) -> list[CommitmentEntry]:
    """The commitments sheet (承诺落实及公开情况): every commitment of the incidents in the ledger, once."""
    seen: dict[int, CommitmentEntry] = {}
    for row in rows:
        for c in row.commitments:
            seen.setdefault(c.id, c)
    return sorted(seen.values(), key=lambda e: (e.incident_id, e.due_at is None, e.id))


def write_xlsx(rows: Sequence[LedgerRow], out: Path | BinaryIO, title: str = "") -> None:
    """Excel workbook: sheet 舆情回应台账 and sheet 承诺落实及公开情况 (times as naive Beijing time)."""
    from tracker.reports.ledger_files import write_ledger_xlsx

    write_ledger_xlsx(rows, out, title)


def write_csv(rows: Sequence[LedgerRow], out: Path | BinaryIO) -> None:
    """The ledger sheet as CSV, UTF-8 with BOM so that Excel opens it correctly."""
    from tracker.reports.ledger_files import write_ledger_csv

    write_ledger_csv(rows, out)


def write_commitments_csv(rows: Sequence[LedgerRow], out: Path | BinaryIO) -> None:
    """The commitments sheet as CSV (UTF-8 with BOM)."""
    from tracker.reports.ledger_files import write_commitments_csv as write

    write(rows, out)
