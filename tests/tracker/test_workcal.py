"""Working-day calendar: package data with 调休, overrides, the provisional fallback, notices."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from tracker.workcal import NoticeError, WorkCalendar, notice_years, parse_holiday_notice

CAL = WorkCalendar()


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def test_spring_festival_2026_with_make_up_saturdays() -> None:
    assert CAL.is_workday(date(2026, 2, 13))  # Friday before
    assert CAL.is_workday(date(2026, 2, 14))  # Saturday, 调休 make-up day
    for d in _days(date(2026, 2, 15), date(2026, 2, 23)):
        assert not CAL.is_workday(d), d
        assert CAL.is_holiday(d), d
    assert CAL.is_workday(date(2026, 2, 24))
    assert CAL.is_workday(date(2026, 2, 28))  # Saturday, second make-up day
    assert not CAL.is_holiday(date(2026, 2, 14))
    assert CAL.day(date(2026, 2, 14)).name == "春节"  # a make-up day still belongs to the holiday


def test_national_day_2026() -> None:
    assert CAL.is_workday(date(2026, 9, 30))
    for d in _days(date(2026, 10, 1), date(2026, 10, 7)):
        assert not CAL.is_workday(d) and CAL.is_holiday(d), d
    assert CAL.day(date(2026, 10, 3)).name == "国庆节"
    assert CAL.is_workday(date(2026, 10, 8))
    assert CAL.is_workday(date(2026, 10, 10))  # Saturday, make-up day
    assert not CAL.is_workday(date(2026, 10, 11))  # an ordinary Sunday
    assert not CAL.is_holiday(date(2026, 10, 11))
    assert CAL.is_holiday(date(2026, 9, 25))  # 中秋节, Friday


def test_plain_weekend_is_a_rest_day_but_not_a_holiday() -> None:
    sunday = date(2026, 3, 1)
    assert not CAL.is_workday(sunday)
    assert not CAL.is_holiday(sunday)
    assert CAL.is_workday(date(2026, 3, 2))
    assert not CAL.provisional(sunday)


def test_dates_outside_the_package_data_are_provisional() -> None:
    assert not CAL.provisional(date(2026, 12, 31))
    assert CAL.provisional(date(2027, 1, 4))
    assert CAL.provisional(date(2003, 6, 2))
    assert CAL.day(date(2027, 1, 4)).source == "fallback"


def test_fallback_is_monday_to_friday_minus_fixed_holidays() -> None:
    assert not CAL.is_workday(date(2027, 1, 1))  # Friday, 元旦
    assert CAL.day(date(2027, 1, 1)).name == "元旦"
    assert not CAL.is_workday(date(2027, 1, 2)) and not CAL.is_workday(date(2027, 1, 3))
    assert CAL.is_workday(date(2027, 1, 4))
    for d in (date(2027, 5, 3), date(2027, 10, 4)):  # Monday; outside the fixed set
        assert CAL.is_workday(d), d
    for d in [date(2027, 5, 1), date(2027, 5, 2), *_days(date(2027, 10, 1), date(2027, 10, 3))]:
        assert not CAL.is_workday(d) and CAL.is_holiday(d), d
    # 春节 2027 cannot be known without the notice: the fallback treats it as ordinary days.
    assert CAL.is_workday(date(2027, 2, 8))


def test_overrides_win_over_package_and_fallback() -> None:
    cal = WorkCalendar({date(2026, 10, 8): False, date(2026, 10, 11): True, date(2027, 2, 8): False})
    assert not cal.is_workday(date(2026, 10, 8))
    assert cal.is_workday(date(2026, 10, 11))
    assert not cal.is_workday(date(2027, 2, 8))
    assert cal.day(date(2027, 2, 8)).source == "override"
    assert not cal.provisional(date(2027, 2, 8))  # covered by an override
    assert cal.provisional(date(2027, 2, 9))  # the next day is not
    assert CAL.is_workday(date(2026, 10, 8))  # the default calendar is untouched


def test_override_run_makes_the_adjacent_weekend_a_holiday() -> None:
    spring_2027 = {d: False for d in _days(date(2027, 2, 8), date(2027, 2, 12))}
    cal = WorkCalendar(spring_2027)
    assert cal.is_holiday(date(2027, 2, 6)) and cal.is_holiday(date(2027, 2, 13))
    assert not cal.is_holiday(date(2027, 1, 9))  # an ordinary Saturday


def test_notice_years_make_a_year_complete() -> None:
    cal = WorkCalendar({date(2027, 2, 8): False}, notice_years={2027})
    assert not cal.provisional(date(2027, 6, 1))
    assert cal.day(date(2027, 6, 1)).source == "notice"
    assert not cal.is_workday(date(2027, 10, 1))  # fixed holidays still hold
    assert cal.provisional(date(2028, 6, 1))


def test_datetime_keys_are_refused() -> None:
    with pytest.raises(TypeError):
        WorkCalendar({datetime(2027, 1, 1): False})


NOTICE = """\ufeff# 国务院办公厅关于2027年部分节假日安排的通知（示例）
2027-01-01 off 元旦
2027-02-06..2027-02-12 off 春节
2027-02-14 on 春节调休   # Sunday make-up day

2027/02/20 班 春节调休
"""


def test_parse_line_notice() -> None:
    entries = parse_holiday_notice(NOTICE)
    assert entries[0] == (date(2027, 1, 1), False, "元旦")
    assert [d for d, workday, _ in entries if not workday] == [
        date(2027, 1, 1),
        *_days(date(2027, 2, 6), date(2027, 2, 12)),
    ]
    assert (date(2027, 2, 14), True, "春节调休") in entries
    assert (date(2027, 2, 20), True, "春节调休") in entries
    assert notice_years(entries) == frozenset({2027})
    cal = WorkCalendar({d: w for d, w, _ in entries}, notice_years=notice_years(entries))
    assert cal.is_workday(date(2027, 2, 14)) and not cal.is_workday(date(2027, 2, 10))
    assert not cal.provisional(date(2027, 2, 15))


def test_parse_csv_notice_with_header_and_quotes() -> None:
    text = 'date,status,note\n2027-10-01~2027-10-07,off,"国庆节, 中秋节"\n2027-10-09,on,调休\n'
    entries = parse_holiday_notice(text)
    assert len(entries) == 8
    assert entries[0] == (date(2027, 10, 1), False, "国庆节, 中秋节")
    assert entries[-1] == (date(2027, 10, 9), True, "调休")


def test_parse_toml_notice() -> None:
    text = """
[[days]]
date = 2027-01-01
status = "off"
note = "元旦"

[[days]]
date = "2027-02-06"
until = 2027-02-08
workday = false
note = "春节"

[[days]]
date = 2027-02-20
status = "on"
"""
    entries = parse_holiday_notice(text)
    assert [(d.isoformat(), w) for d, w, _ in entries] == [
        ("2027-01-01", False),
        ("2027-02-06", False),
        ("2027-02-07", False),
        ("2027-02-08", False),
        ("2027-02-20", True),
    ]
    assert entries[0][2] == "元旦" and entries[-1][2] == ""


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("2027-13-01 off 坏日期", "第1行"),
        ("# 注释\n2027-01-01 maybe", "第2行"),
        ("2027-01-01", "第1行"),
        ("2027-01-01 off\n2027-01-01 on", "矛盾"),
        ("2027-02-10..2027-02-01 off", "无效"),
        ("2027-01-01..2027-03-01 off", "无效"),
        ("# 只有注释\n", "没有任何日期"),
        ('[[days]]\ndate = 2027-01-01\nstatus = "?"', "第1个 [[days]]"),
        ("[[days]\n", "TOML"),
    ],
)
def test_bad_notices_name_the_problem(text: str, fragment: str) -> None:
    with pytest.raises(NoticeError) as info:
        parse_holiday_notice(text)
    assert fragment in str(info.value)


def test_repeated_identical_lines_are_fine() -> None:
    assert parse_holiday_notice("2027-01-01 off 元旦\n2027-01-01 off 元旦") == [
        (date(2027, 1, 1), False, "元旦")
    ]
