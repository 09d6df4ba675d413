"""The working-day calendar as the application sees it: chinese_calendar plus the database's overrides
(`yuqing calendar set/import`)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.models import CalendarNotice, CalendarOverride
from tracker.workcal import NoticeEntry, WorkCalendar, notice_years


def load_calendar(session: Session) -> WorkCalendar:
    overrides = {row.day: row.is_workday for row in session.scalars(select(CalendarOverride))}
    years = set(session.scalars(select(CalendarNotice.year)))
    return WorkCalendar(overrides, notice_years=years)


def set_override(session: Session, day: date, is_workday: bool, note: str) -> None:
    row = session.get(CalendarOverride, day) or CalendarOverride(day=day)
    row.is_workday = is_workday
    row.note = note
    session.add(row)


def import_notice(session: Session, entries: list[NoticeEntry], now: datetime, note: str) -> set[int]:
    """Store every day of a holiday notice; the years it covers stop being provisional."""
    for day, workday, day_note in entries:
        set_override(session, day, workday, day_note or note)
    years = set(notice_years(entries))
    for year in years:
        row = session.get(CalendarNotice, year) or CalendarNotice(year=year)
        row.imported_at = now
        row.note = note
        session.add(row)
    return years
