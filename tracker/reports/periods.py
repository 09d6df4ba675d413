"""Appraisal periods (考核周期): a year, a half, a quarter or a month, in Beijing time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from tracker.clock import BEIJING
from tracker.errors import UserError

_FORMS = "2026、2026H1、2026H2、2026Q3、2026-11"


@dataclass(frozen=True)
class Period:
    """[start, end) as aware datetimes at Beijing midnight; ``label`` is how users wrote it."""

    start: datetime
    end: datetime
    label: str = ""

    @property
    def name(self) -> str:
        """Chinese name, e.g. 2026年上半年, 2026年第三季度, 2026年11月."""
        return _chinese_name(self.label) if self.label else self.span_text

    @property
    def span_text(self) -> str:
        last = (self.end.astimezone(BEIJING) - timedelta(days=1)).date()
        return f"{self.start.astimezone(BEIJING).date().isoformat()} 至 {last.isoformat()}"


def beijing_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=BEIJING)


def day_span(first: date, last: date) -> Period:
    """Whole Beijing days from ``first`` to ``last`` inclusive."""
    if last < first:
        raise UserError("结束日期不能早于开始日期")
    return Period(beijing_midnight(first), beijing_midnight(last + timedelta(days=1)))


def _month_start(year: int, month: int) -> date:
    return date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def parse_period(text: str) -> Period:
    """``2026`` (year), ``2026H1``/``2026H2`` (halves), ``2026Q1``..``2026Q4``, ``2026-11`` (month)."""
    label = text.strip().upper()
    m = re.fullmatch(r"(\d{4})(?:(H)([12])|(Q)([1-4])|-(\d{1,2}))?", label)
    if not m:
        raise UserError(f"无法识别的考核周期“{text}”，可用格式：{_FORMS}")
    year = int(m.group(1))
    if m.group(2):
        first_month, months = 1 + (int(m.group(3)) - 1) * 6, 6
    elif m.group(4):
        first_month, months = 1 + (int(m.group(5)) - 1) * 3, 3
    elif m.group(6):
        first_month, months = int(m.group(6)), 1
        if not 1 <= first_month <= 12:
            raise UserError(f"月份应为 1–12：“{text}”")
        label = f"{year}-{first_month:02d}"
    else:
        first_month, months = 1, 12
    start = _month_start(year, first_month)
    end = _month_start(year, first_month + months)
    return Period(beijing_midnight(start), beijing_midnight(end), label)


def _chinese_name(label: str) -> str:
    year, rest = label[:4], label[4:]
    if not rest:
        return f"{year}年"
    if rest[0] == "H":
        return f"{year}年{'上' if rest[1] == '1' else '下'}半年"
    if rest[0] == "Q":
        return f"{year}年第{'一二三四'[int(rest[1]) - 1]}季度"
    return f"{year}年{int(rest[1:])}月"
