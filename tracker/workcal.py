"""The Chinese working-day calendar: chinese_calendar data, overrides, and a marked fallback.

Order of authority for one date:

1. an override (a ``CalendarOverride`` row: a local notice, or a State Council notice newer than
   the installed package) — always wins;
2. the ``chinese_calendar`` package, which knows 调休 make-up Saturdays, but only for 2004–2026
   (it raises ``NotImplementedError`` outside its data);
3. for a year listed in ``notice_years`` (its State Council notice was imported as overrides):
   Monday–Friday minus the fixed-date statutory holidays — complete, not provisional;
4. otherwise the same fallback, marked **provisional**: lunar holidays (春节, 清明, 端午, 中秋) and
   the make-up days around every holiday cannot be known before the notice is published.

The module is pure: the caller passes the overrides in (see :mod:`tracker.calendar_store`).
"""

from __future__ import annotations

import csv
import re
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

import chinese_calendar

DaySource = Literal["override", "package", "notice", "fallback"]

# Statutory days off whose Gregorian date never moves (全国年节及纪念日放假办法, as revised by
# 国务院令第795号 in force since 2025-01-01: 元旦 1 day, 劳动节 5/1–5/2, 国庆节 10/1–10/3). They
# are rest days whatever the yearly notice says, so using them past the data never makes a
# deadline later than the real one because of a holiday that does not exist.
FIXED_HOLIDAYS: dict[tuple[int, int], str] = {
    (1, 1): "元旦",
    (5, 1): "劳动节",
    (5, 2): "劳动节",
    (10, 1): "国庆节",
    (10, 2): "国庆节",
    (10, 3): "国庆节",
}

_PACKAGE_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}

# How far is_holiday() looks along a run of rest days; the longest real run (春节) is 9 days.
_RUN_LIMIT = 31


@dataclass(frozen=True)
class DayInfo:
    """What the calendar knows about one date."""

    day: date
    workday: bool
    source: DaySource
    name: str | None  # holiday name the day belongs to (also on make-up days), in Chinese

    @property
    def provisional(self) -> bool:
        return self.source == "fallback"


class WorkCalendar:
    """Working days in mainland China, with overrides and an explicit provisional marker."""

    def __init__(
        self,
        overrides: Mapping[date, bool] | None = None,
        notice_years: Collection[int] = (),
    ) -> None:
        self._overrides: dict[date, bool] = {}
        for key, value in (overrides or {}).items():
            # A datetime key would never equal the dates we look up: refuse it instead.
            if isinstance(key, datetime) or not isinstance(key, date):
                raise TypeError(f"calendar override keys must be dates, got {key!r}")
            self._overrides[key] = bool(value)
        self._notice_years = frozenset(notice_years)

    def day(self, d: date) -> DayInfo:
        package = _package_detail(d)
        if d in self._overrides:
            name = package[1] if package else FIXED_HOLIDAYS.get((d.month, d.day))
            return DayInfo(d, self._overrides[d], "override", name)
        if package is not None:
            rest, name = package
            return DayInfo(d, not rest, "package", name)
        fixed = FIXED_HOLIDAYS.get((d.month, d.day))
        workday = d.weekday() < 5 and fixed is None
        source: DaySource = "notice" if d.year in self._notice_years else "fallback"
        return DayInfo(d, workday, source, fixed)

    def is_workday(self, d: date) -> bool:
        return self.day(d).workday

    def provisional(self, d: date) -> bool:
        """True when the answer for ``d`` is a guess: no package data, no override, no notice."""
        return self.day(d).provisional

    def is_holiday(self, d: date) -> bool:
        """A rest day that belongs to a statutory holiday (or a weekday made a rest day).

        A plain weekend is not a holiday here, but a weekend inside a holiday run is
        (2026-02-21, a Saturday in 春节, is; 2026-03-01, an ordinary Sunday, is not). For
        deadlines this distinction does not matter: any rest day extends a period (see
        :mod:`tracker.deadlines`).
        """
        info = self.day(d)
        if info.workday:
            return False
        if info.name is not None or d.weekday() < 5:
            return True
        return self._run_has_weekday_rest(d)

    def _run_has_weekday_rest(self, d: date) -> bool:
        for step in (timedelta(days=-1), timedelta(days=1)):
            probe = d + step
            for _ in range(_RUN_LIMIT):
                if self.is_workday(probe):
                    break
                if probe.weekday() < 5:
                    return True
                probe += step
        return False


def _package_detail(d: date) -> tuple[bool, str | None] | None:
    """(is rest day, Chinese holiday name) from chinese_calendar, or None outside its data."""
    try:
        rest, name = chinese_calendar.get_holiday_detail(d)
    except NotImplementedError:
        return None
    return bool(rest), (_PACKAGE_NAMES.get(name, name) if name else None)


# ---------------------------------------------------------------------------------------------
# Holiday notices (`yuqing calendar import FILE`): a pure parser; the caller stores the rows.

NoticeEntry = tuple[date, bool, str]  # (date, is_workday, note)

_OFF_WORDS = frozenset({"off", "rest", "holiday", "false", "0", "休", "休息", "放假", "假"})
_ON_WORDS = frozenset({"on", "work", "workday", "true", "1", "班", "上班", "补班", "调休上班"})
_RANGE_SEPARATORS = ("..", "~", "～", "至")
_MAX_RANGE_DAYS = 31


class NoticeError(ValueError):
    """A holiday-notice file that cannot be read; the message is Chinese and names the line."""


def parse_holiday_notice(text: str) -> list[NoticeEntry]:
    """Read a holiday notice into ``(date, is_workday, note)`` rows, sorted by date.

    Line format (also valid CSV with the same three columns; a header row is skipped)::

        # 国务院办公厅关于2027年部分节假日安排的通知
        2027-01-01 off 元旦
        2027-02-06..2027-02-13 off 春节
        2027-02-20 on 春节调休

    TOML is accepted too: ``[[days]]`` tables with ``date``, optional ``until``, ``status``
    (``"off"``/``"on"``) or ``workday`` (bool), and ``note``. A date listed twice with different
    statuses is an error, so a wrong file never half-applies.
    """
    text = text.lstrip("\ufeff")
    if any(line.lstrip().startswith("[[") for line in text.splitlines()):
        rows = _toml_rows(text)
    else:
        rows = _line_rows(text)
    seen: dict[date, tuple[bool, str, str]] = {}
    for where, first, last, workday, note in rows:
        for d in _expand(first, last, where):
            if d in seen and seen[d][0] != workday:
                raise NoticeError(f"{where}：{d.isoformat()} 与{seen[d][2]}的安排矛盾")
            seen.setdefault(d, (workday, note, where))
    if not seen:
        raise NoticeError("节假日通知文件中没有任何日期")
    return [(d, workday, note) for d, (workday, note, _) in sorted(seen.items())]


def notice_years(entries: Collection[NoticeEntry]) -> frozenset[int]:
    """The years a parsed notice speaks for (to pass as ``WorkCalendar(notice_years=...)``)."""
    return frozenset(d.year for d, _, _ in entries)


_Row = tuple[str, date, date, bool, str]  # (where, first, last, is_workday, note)
_DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")


def _line_rows(text: str) -> list[_Row]:
    rows: list[_Row] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        where = f"第{lineno}行"
        # A comma means CSV (quoted notes allowed); otherwise "date status note…".
        comma = "," in line
        fields = [f.strip() for f in next(csv.reader([line]))] if comma else line.split(maxsplit=2)
        if not rows and fields[0].lower() in {"date", "日期"}:
            continue  # CSV header
        if len(fields) < 2:
            raise NoticeError(f"{where}：需要“日期 off|on 说明”，实际为“{raw.strip()}”")
        first, last = _parse_span(fields[0], where)
        note = fields[2] if len(fields) > 2 else ""
        rows.append((where, first, last, _parse_status(fields[1], where), note))
    return rows


def _toml_rows(text: str) -> list[_Row]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise NoticeError(f"TOML 格式错误：{exc}") from exc
    items = data.get("days")
    if not isinstance(items, list):
        raise NoticeError("TOML 节假日通知需要 [[days]] 表")
    rows: list[_Row] = []
    for index, item in enumerate(items, start=1):
        where = f"第{index}个 [[days]]"
        if not isinstance(item, dict):
            raise NoticeError(f"{where}：应为表（date、status、note）")
        if isinstance(item.get("workday"), bool):
            workday = item["workday"]
        else:
            workday = _parse_status(str(item.get("status", "")), where)
        first = _as_date(item.get("date"), where)
        last = _as_date(item["until"], where) if "until" in item else first
        rows.append((where, first, last, workday, str(item.get("note", ""))))
    return rows


def _as_date(value: object, where: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value  # a TOML local date
    return _parse_date(str(value), where)


def _parse_span(field: str, where: str) -> tuple[date, date]:
    for sep in _RANGE_SEPARATORS:
        if sep in field:
            left, right = field.split(sep, 1)
            return _parse_date(left, where), _parse_date(right, where)
    d = _parse_date(field, where)
    return d, d


def _parse_date(text: str, where: str) -> date:
    match = _DATE.fullmatch(text.strip())
    try:
        if match is None:
            raise ValueError(text)
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise NoticeError(f"{where}：无法识别的日期“{text.strip()}”，应为 2027-01-01") from None


def _parse_status(text: str, where: str) -> bool:
    word = text.strip().lower()
    if word in _OFF_WORDS:
        return False
    if word in _ON_WORDS:
        return True
    raise NoticeError(f"{where}：无法识别的安排“{text.strip()}”，应为 off（休息）或 on（上班）")


def _expand(first: date, last: date, where: str) -> list[date]:
    days = (last - first).days + 1
    if days < 1 or days > _MAX_RANGE_DAYS:
        raise NoticeError(
            f"{where}：日期范围 {first}..{last} 无效（应从早到晚，且不超过{_MAX_RANGE_DAYS}天）"
        )
    return [first + timedelta(days=i) for i in range(days)]
