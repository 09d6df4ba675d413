"""Deadline engine: 民法典 day counting, working days with 调休, provisional years, the CLI."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.cli import main
from tracker.deadlines import (
    BEIJING,
    MIDNIGHT,
    compute_due,
    compute_due_months,
    elapsed_fraction,
    end_of_day,
    parse_office_close,
    warning_times,
)
from tracker.durations import parse_within
from tracker.workcal import WorkCalendar

CAL = WorkCalendar()


def bj(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BEIJING)


def due_bj(start: str, within: str, cal: WorkCalendar = CAL, office_close: time = MIDNIGHT) -> str:
    return compute_due(bj(start), within, cal, office_close).due.astimezone(BEIJING).isoformat()


def test_hours_are_natural_time_and_returned_in_utc() -> None:
    result = compute_due(bj("2026-09-30T20:00"), "5h", CAL)
    assert result.due == datetime(2026, 9, 30, 17, 0, tzinfo=UTC)
    assert result.due.tzinfo is UTC
    assert not result.provisional and result.last_day is None
    assert due_bj("2026-10-01T10:00", "90m") == "2026-10-01T11:30:00+08:00"  # holidays do not matter


def test_hours_into_2027_are_never_provisional() -> None:
    result = compute_due(bj("2026-12-31T12:00"), "48h", CAL)
    assert result.due.astimezone(BEIJING).isoformat() == "2027-01-02T12:00:00+08:00"
    assert not result.provisional


def test_days_ending_in_national_day_move_to_the_next_working_day() -> None:
    # 9/28 + 3 days → 10/1 (国庆) → the holiday ends 10/7 → last day 10/8, ends at 24:00.
    result = compute_due(bj("2026-09-28T10:00"), "3d", CAL)
    assert result.last_day == date(2026, 10, 8)
    assert result.due.astimezone(BEIJING).isoformat() == "2026-10-09T00:00:00+08:00"
    assert due_bj("2026-09-30T23:59", "1d") == "2026-10-09T00:00:00+08:00"


def test_start_day_is_not_counted_whatever_the_hour() -> None:
    assert due_bj("2026-03-02T00:00", "1d") == "2026-03-04T00:00:00+08:00"
    assert due_bj("2026-03-02T23:59", "1天") == "2026-03-04T00:00:00+08:00"


def test_start_day_is_the_beijing_date() -> None:
    # 2026-09-30T16:30Z is 10/1 00:30 in Beijing: the period runs from 10/2.
    start = datetime(2026, 9, 30, 16, 30, tzinfo=UTC)
    assert compute_due(start, "1d", CAL).last_day == date(2026, 10, 8)
    # 15:30Z is 23:30 on 3/2 in Beijing, 16:30Z already 00:30 on 3/3: one hour moves the day.
    assert compute_due(datetime(2026, 3, 2, 15, 30, tzinfo=UTC), "1d", CAL).last_day == date(2026, 3, 3)
    assert compute_due(datetime(2026, 3, 2, 16, 30, tzinfo=UTC), "1d", CAL).last_day == date(2026, 3, 4)


def test_make_up_saturday_does_not_extend_a_period() -> None:
    # 2/11 + 3 days → Saturday 2/14, a 调休 working day: the period ends that day.
    assert due_bj("2026-02-11T09:00", "3d") == "2026-02-15T00:00:00+08:00"
    # 2/12 + 5 days → 2/17 (春节) → 2/24.
    assert due_bj("2026-02-12T09:00", "5天") == "2026-02-25T00:00:00+08:00"


def test_a_plain_weekend_extends_a_period() -> None:
    # 3/4 + 3 days → Saturday 3/7 → Monday 3/9.
    assert due_bj("2026-03-04T09:00", "3d") == "2026-03-10T00:00:00+08:00"


def test_working_days_count_make_up_saturdays() -> None:
    # 2/12 (Thu) + 3 working days: 2/13, Sat 2/14 (调休), then 2/24 after 春节.
    assert due_bj("2026-02-12T10:00", "3wd") == "2026-02-25T00:00:00+08:00"
    # 9/28 + 5 working days: 9/29, 9/30, 10/8, 10/9, Sat 10/10 (调休).
    assert due_bj("2026-09-28T10:00", "5个工作日") == "2026-10-11T00:00:00+08:00"
    assert due_bj("2026-09-30T18:00", "1wd") == "2026-10-09T00:00:00+08:00"
    # A start on a rest day: the first working day after it counts as day 1.
    assert due_bj("2026-10-03T12:00", "1wd") == "2026-10-09T00:00:00+08:00"


def test_office_close_ends_the_last_day_early() -> None:
    close = time(17, 30)
    assert due_bj("2026-09-28T10:00", "3d", office_close=close) == "2026-10-08T17:30:00+08:00"
    assert due_bj("2026-09-28T10:00", "5wd", office_close=close) == "2026-10-10T17:30:00+08:00"
    assert due_bj("2026-09-28T10:00", "5h", office_close=close) == "2026-09-28T15:00:00+08:00"


def test_period_into_2027_is_provisional() -> None:
    # 12/28 (Mon) + 5 working days: 12/29, 12/30, 12/31, (元旦 and a weekend), 1/4, 1/5.
    result = compute_due(bj("2026-12-28T10:00"), "5wd", CAL)
    assert result.due.astimezone(BEIJING).isoformat() == "2027-01-06T00:00:00+08:00"
    assert result.provisional
    # 12/29 + 3 days → 2027-01-01 (fixed 元旦) → weekend → Monday 1/4, provisional.
    result = compute_due(bj("2026-12-29T10:00"), "3d", CAL)
    assert result.last_day == date(2027, 1, 4) and result.provisional


def test_period_ending_on_the_last_known_day_is_not_provisional() -> None:
    result = compute_due(bj("2026-12-28T10:00"), "3d", CAL)
    assert result.last_day == date(2026, 12, 31)
    assert result.due.astimezone(BEIJING).isoformat() == "2027-01-01T00:00:00+08:00"
    assert not result.provisional  # the due instant is in 2027 but no 2027 date was consulted


def test_overrides_remove_provisional_and_change_the_answer() -> None:
    notice = {
        date(2027, 1, 1): False,
        date(2027, 1, 2): False,
        date(2027, 1, 3): False,
        date(2027, 1, 4): False,
    }
    notice[date(2027, 1, 5)] = True
    result = compute_due(bj("2026-12-29T10:00"), "3d", WorkCalendar(notice))
    assert result.last_day == date(2027, 1, 5) and not result.provisional
    # An override inside the package's years wins too: 10/8 declared a rest day.
    assert (
        due_bj("2026-09-28T10:00", "3d", WorkCalendar({date(2026, 10, 8): False}))
        == "2026-10-10T00:00:00+08:00"
    )


def test_a_calendar_without_working_days_is_an_error_not_a_hang() -> None:
    no_work = {date(2027, 1, 1) + timedelta(days=i): False for i in range(400)}
    with pytest.raises(ValueError, match="没有工作日"):
        compute_due(bj("2026-12-31T10:00"), "1wd", WorkCalendar(no_work))


def test_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="时区"):
        compute_due(datetime(2026, 3, 2, 10, 0), "1d", CAL)


def test_months_use_the_corresponding_day_or_the_month_end() -> None:
    # 1/31 + 1 month → no 2/31 → 2/28, a 调休 Saturday, so no extension.
    result = compute_due_months(bj("2026-01-31T10:00"), 1, CAL)
    assert result.last_day == date(2026, 2, 28) and not result.provisional
    assert compute_due_months(bj("2026-03-15T10:00"), 1, CAL).last_day == date(2026, 4, 15)
    assert compute_due_months(bj("2026-09-01T10:00"), 1, CAL).last_day == date(2026, 10, 8)
    later = compute_due_months(bj("2026-11-30T10:00"), 2, CAL)  # 2027-01-30 is a Saturday
    assert later.last_day == date(2027, 2, 1) and later.provisional
    with pytest.raises(ValueError):
        compute_due_months(bj("2026-03-15T10:00"), 0, CAL)


def test_elapsed_fraction() -> None:
    start = bj("2026-03-02T10:00")
    due = start + timedelta(hours=10)
    assert elapsed_fraction(start, due, start + timedelta(hours=6)) == pytest.approx(0.6)
    assert elapsed_fraction(start, due, start - timedelta(hours=1)) == pytest.approx(-0.1)
    assert elapsed_fraction(start, due, due + timedelta(hours=5)) == pytest.approx(1.5)
    with pytest.raises(ValueError):
        elapsed_fraction(due, start, due)
    with pytest.raises(ValueError):
        elapsed_fraction(start, due, datetime(2026, 3, 2, 12, 0))


def test_warning_times() -> None:
    start = bj("2026-03-02T10:00")
    due = compute_due(start, "48h", CAL).due
    warnings = warning_times(start, due)
    assert [w.astimezone(BEIJING).isoformat() for w in warnings] == [
        "2026-03-03T14:48:00+08:00",
        "2026-03-04T05:12:00+08:00",
    ]
    assert all(w.tzinfo is UTC for w in warnings)
    assert warning_times(start, due, (0.9, 0.5)) == sorted(warning_times(start, due, (0.5, 0.9)))
    for bad in ((0.0,), (1.0,), (1.2,)):
        with pytest.raises(ValueError):
            warning_times(start, due, bad)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("17:30", time(17, 30)),
        ("8:05", time(8, 5)),
        ("24:00", MIDNIGHT),
        ("00:00", MIDNIGHT),
        ("17：30", time(17, 30)),
    ],
)
def test_parse_office_close(text: str, value: time) -> None:
    assert parse_office_close(text) == value


@pytest.mark.parametrize("text", ["25:00", "17:60", "1730", "abc", ""])
def test_bad_office_close(text: str) -> None:
    with pytest.raises(ValueError, match="办公截止时间"):
        parse_office_close(text)


def test_end_of_day_refuses_an_aware_close_time() -> None:
    with pytest.raises(ValueError):
        end_of_day(date(2026, 3, 2), time(17, 30, tzinfo=UTC))


@settings(max_examples=150, deadline=None)
@given(
    start_day=st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 10, 31)),
    minute=st.integers(min_value=0, max_value=24 * 60 - 1),
    amount=st.integers(min_value=1, max_value=40),
)
def test_properties_of_day_and_workday_periods(start_day: date, minute: int, amount: int) -> None:
    start = datetime.combine(start_day, time(minute // 60, minute % 60), tzinfo=BEIJING)
    days = compute_due(start, parse_within(f"{amount}d"), CAL)
    assert days.last_day is not None and days.last_day >= start_day + timedelta(days=amount)
    assert CAL.is_workday(days.last_day)
    skipped = [start_day + timedelta(days=i) for i in range(amount, (days.last_day - start_day).days)]
    assert not any(CAL.is_workday(d) for d in skipped)  # only rest days were skipped
    assert days.due == end_of_day(days.last_day)

    work = compute_due(start, f"{amount}wd", CAL)
    assert work.last_day is not None and CAL.is_workday(work.last_day)
    counted = [start_day + timedelta(days=i) for i in range(1, (work.last_day - start_day).days + 1)]
    assert sum(CAL.is_workday(d) for d in counted) == amount


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["deadline", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_prints_the_engine_answer(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "--start", "2026-09-28T10:00", "--within", "3d")
    assert code == 0 and err == ""
    assert out == '{"due": "2026-10-09T00:00:00+08:00", "provisional": false}\n'
    assert json.loads(out) == {"due": "2026-10-09T00:00:00+08:00", "provisional": False}


def test_cli_offsets_office_close_and_provisional(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(
        capsys, "--start", "2026-09-28T02:00:00Z", "--within", "5个工作日", "--office-close", "17:30"
    )
    assert code == 0
    assert out == '{"due": "2026-10-10T17:30:00+08:00", "provisional": false}\n'
    code, out, err = run_cli(capsys, "--start", "2026-12-28T10:00+08:00", "--within", "5wd")
    assert out == '{"due": "2027-01-06T00:00:00+08:00", "provisional": true}\n'
    assert "暂定" in err and "yuqing calendar import" in err


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--start", "2026-09-28", "--within", "5x"), "无法识别的期限"),
        (("--start", "昨天", "--within", "5h"), "起算时间"),
        (("--start", "2026-09-28", "--within", "5h", "--office-close", "25:00"), "办公截止时间"),
    ],
)
def test_cli_errors_are_chinese(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], fragment: str
) -> None:
    code, out, err = run_cli(capsys, *args)
    assert code == 2 and out == ""
    assert err.startswith("错误：") and fragment in err
