"""Deadlines from a start time and a window, counted the way 民法典 第二百零一至二百零三条 count them.

- Hours and minutes are natural time: ``start + delta`` (第二百零一条第二款), never provisional.
- Days: the start day is not counted (第二百零一条第一款); the last day is start date + N in
  Beijing time; if that day is a rest day the period ends on the next working day (第二百零三条
  第一款). Weekends count as rest days, following the courts' long-standing practice (原《民通意见》
  第198条: "星期日或者其他法定休假日…以实际休假日的次日为期间的最后一天"), and "actual rest
  day" means after 调休: a make-up Saturday is a working day and does not extend anything.
- Months (commitments such as "三个月内"): the corresponding day of the due month, or its last
  day when there is none (第二百零二条), then the same rest-day rule.
- Working days: the N-th working day after the start day.
- The last day ends at 24:00 Beijing time, or at the office close time when one is configured
  (第二百零三条第二款: "有业务时间的，停止业务活动的时间为截止时间").

Everything is pure: the calendar (with its overrides) and the times are parameters.
"""

from __future__ import annotations

import calendar as _gregorian
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from tracker.durations import Duration, parse_within
from tracker.workcal import WorkCalendar

BEIJING = ZoneInfo("Asia/Shanghai")
MIDNIGHT = time(0, 0)  # as an office close time it means 24:00 of the last day

# No real calendar has a year of rest days; a longer run means a broken override table, and
# walking on would never end.
_MAX_REST_RUN = 366


@dataclass(frozen=True)
class Due:
    due: datetime  # aware, UTC
    provisional: bool  # some date consulted had no calendar data and no override
    last_day: date | None = None  # Beijing date the period ends on; None for hours and minutes


class _Walker:
    """Asks the calendar about dates and remembers whether any answer was a guess."""

    def __init__(self, cal: WorkCalendar) -> None:
        self.cal = cal
        self.provisional = False

    def workday(self, d: date) -> bool:
        info = self.cal.day(d)
        self.provisional = self.provisional or info.provisional
        return info.workday

    def next_workday_from(self, d: date) -> date:
        """``d`` itself if it is a working day, else the first working day after it."""
        origin = d
        for _ in range(_MAX_REST_RUN):
            if self.workday(d):
                return d
            d += timedelta(days=1)
        raise ValueError(
            f"日历中自 {origin.isoformat()} 起连续 {_MAX_REST_RUN} 天没有工作日，请检查日历覆盖设置"
        )


def compute_due(
    start: datetime,
    within: Duration | str,
    cal: WorkCalendar,
    office_close: time = MIDNIGHT,
    tz: tzinfo = BEIJING,
) -> Due:
    """The deadline of a window opened at ``start`` (see the module docstring for the rules)."""
    _require_aware(start, "start")
    duration = parse_within(within) if isinstance(within, str) else within
    if duration.kind in ("minutes", "hours"):
        unit = "minutes" if duration.kind == "minutes" else "hours"
        delta = timedelta(**{unit: duration.amount})
        return Due(due=(start + delta).astimezone(UTC), provisional=False)
    start_day = start.astimezone(tz).date()
    walker = _Walker(cal)
    if duration.kind == "days":
        last = walker.next_workday_from(start_day + timedelta(days=duration.amount))
    else:
        last = _nth_workday_after(walker, start_day, duration.amount)
    return Due(due=end_of_day(last, office_close, tz), provisional=walker.provisional, last_day=last)


def compute_due_months(
    start: datetime,
    months: int,
    cal: WorkCalendar,
    office_close: time = MIDNIGHT,
    tz: tzinfo = BEIJING,
) -> Due:
    """A period of whole months (第二百零二条): 1月31日 + 1个月 ends on 2月28日 (or 29日)."""
    _require_aware(start, "start")
    if months < 1:
        raise ValueError("月数必须大于零")
    start_day = start.astimezone(tz).date()
    index = start_day.month - 1 + months
    year, month = start_day.year + index // 12, index % 12 + 1
    day = min(start_day.day, _gregorian.monthrange(year, month)[1])
    walker = _Walker(cal)
    last = walker.next_workday_from(date(year, month, day))
    return Due(due=end_of_day(last, office_close, tz), provisional=walker.provisional, last_day=last)


def _nth_workday_after(walker: _Walker, start_day: date, n: int) -> date:
    d, remaining = start_day, n
    while remaining:
        d = walker.next_workday_from(d + timedelta(days=1))
        remaining -= 1
    return d


def end_of_day(day: date, office_close: time = MIDNIGHT, tz: tzinfo = BEIJING) -> datetime:
    """When ``day`` ends for a deadline, in UTC: 24:00 local, or the office close time."""
    if office_close.tzinfo is not None:
        raise ValueError("办公截止时间不应带时区（按北京时间理解）")
    if office_close == MIDNIGHT:
        local = datetime.combine(day + timedelta(days=1), MIDNIGHT, tzinfo=tz)
    else:
        local = datetime.combine(day, office_close, tzinfo=tz)
    return local.astimezone(UTC)


def parse_office_close(text: str) -> time:
    """``"17:30"`` → 17:30; ``"24:00"`` or ``"00:00"`` → midnight, meaning the end of the day."""
    match = re.fullmatch(r"\s*(\d{1,2})[:：](\d{2})\s*", text)
    if match is None:
        raise ValueError(f"无法识别的办公截止时间“{text}”，应为 HH:MM，例如 17:30")
    hour, minute = int(match[1]), int(match[2])
    if (hour, minute) == (24, 0):
        return MIDNIGHT
    if hour > 23 or minute > 59:
        raise ValueError(f"办公截止时间“{text}”超出范围，应在 00:00 至 24:00 之间")
    return time(hour, minute)


def elapsed_fraction(start: datetime, due: datetime, now: datetime) -> float:
    """Share of the window used at ``now``: 0 at the start, 1 at the deadline, above 1 when late.

    Not clamped: a negative value (``now`` before the start) or one above 1 is information.
    """
    window = _window(start, due)
    _require_aware(now, "now")
    return (now - start) / window


def warning_times(start: datetime, due: datetime, fractions: Sequence[float] = (0.6, 0.9)) -> list[datetime]:
    """When to warn, in UTC and ascending: ``start + f × window`` for each fraction 0 < f < 1."""
    window = _window(start, due)
    for f in fractions:
        if not 0 < f < 1:
            raise ValueError(f"预警比例 {f} 无效，应在 0 与 1 之间（不含端点）")
    return [(start + window * f).astimezone(UTC) for f in sorted(set(fractions))]


def _window(start: datetime, due: datetime) -> timedelta:
    _require_aware(start, "start")
    _require_aware(due, "due")
    if due <= start:
        raise ValueError("截止时间必须晚于开始时间")
    return due - start


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} 必须带时区（aware datetime）")
