"""The one Chinese time parser: absolute, partial, relative, Weibo, RFC 822, epoch; unreadable → None."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from crawlers.timeparse import SHANGHAI, parse_time

# 2026-11-20 10:00 in Beijing.
FETCHED = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def bj(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI).astimezone(UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2021年7月12日", bj(2021, 7, 12, 0, 0)),
        ("2021年7月12日 10:14", bj(2021, 7, 12, 10, 14)),
        ("2021年07月12日10时14分", bj(2021, 7, 12, 10, 14)),
        ("2021年7月12日 下午3点20分", bj(2021, 7, 12, 15, 20)),
        ("2021-07-12 10:14", bj(2021, 7, 12, 10, 14)),
        ("2021-07-12 10:14:30", bj(2021, 7, 12, 10, 14, 30)),
        ("2021/7/12", bj(2021, 7, 12)),
        ("2021.07.12 08:05", bj(2021, 7, 12, 8, 5)),
        ("发布时间：2026-11-20 09:00", bj(2026, 11, 20, 9, 0)),
        ("【发布日期】2026年11月19日 来源：市政府办公室", bj(2026, 11, 19)),
        ("2021-07-12T10:14:30+08:00", bj(2021, 7, 12, 10, 14, 30)),
        ("2021-07-12T02:14:30Z", bj(2021, 7, 12, 10, 14, 30)),
        ("2021-07-12T10:14:30.250+0800", bj(2021, 7, 12, 10, 14, 30)),
        ("2021-07-12T10:14:30", bj(2021, 7, 12, 10, 14, 30)),  # no zone: the site's local time
        ("２０２１年７月１２日　１０：１４", bj(2021, 7, 12, 10, 14)),  # full-width digits and colon
        ("2026年11月17日 星期二 10:14", bj(2026, 11, 17, 10, 14)),  # weekday between date and time
    ],
)
def test_absolute(raw: str, expected: datetime) -> None:
    assert parse_time(raw, FETCHED) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Mon, 12 Jul 2021 10:14:00 +0800", bj(2021, 7, 12, 10, 14)),
        ("Mon, 12 Jul 2021 02:14:00 GMT", bj(2021, 7, 12, 10, 14)),
        ("Mon, 12 Jul 2021 02:14:00 -0000", bj(2021, 7, 12, 10, 14)),
        ("12 Jul 2021 10:14 +0800", bj(2021, 7, 12, 10, 14)),
        ("Mon, 12 Jul 2021 10:14:00", bj(2021, 7, 12, 10, 14)),  # no zone → local
        ("Mon, 12 Jul 2021 10:14:00 CST", bj(2021, 7, 12, 10, 14)),  # Chinese servers' CST is +0800
        ("Tue Nov 17 10:14:00 +0800 2026", bj(2026, 11, 17, 10, 14)),  # Weibo created_at
        ("Tue Nov 17 02:14:00 +0000 2026", bj(2026, 11, 17, 10, 14)),
    ],
)
def test_rfc822_and_weibo(raw: str, expected: datetime) -> None:
    assert parse_time(raw, FETCHED) == expected


@pytest.mark.parametrize(
    "raw", [1626056040, 1626056040000, 1626056040.0, "1626056040", "1626056040000", " 1626056040 "]
)
def test_epoch_seconds_and_ms(raw: int | float | str) -> None:
    assert parse_time(raw, FETCHED) == bj(2021, 7, 12, 10, 14)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("06月17日 18:12", bj(2026, 6, 17, 18, 12)),
        ("6-17 18:12", bj(2026, 6, 17, 18, 12)),
        ("11月17日 10:14 来自iPhone客户端", bj(2026, 11, 17, 10, 14)),  # weibo.cn span.ct
        ("11月20日", bj(2026, 11, 20)),
        ("11月21日 09:00", bj(2026, 11, 21, 9, 0)),  # within a day ahead: clock skew, same year
        ("12月30日 23:00", bj(2025, 12, 30, 23, 0)),  # would be in the future → previous year
        ("12-31", bj(2025, 12, 31)),
        ("11月17日（周二） 10:14", bj(2026, 11, 17, 10, 14)),
    ],
)
def test_partial_dates_take_the_fetch_year(raw: str, expected: datetime) -> None:
    assert parse_time(raw, FETCHED) == expected


def test_year_rollover_on_new_year() -> None:
    # Fetched 2027-01-01 00:30 Beijing: "12月31日 23:50" is last night, "01月01日 00:10" is today.
    fetched = bj(2027, 1, 1, 0, 30)
    assert parse_time("12月31日 23:50", fetched) == bj(2026, 12, 31, 23, 50)
    assert parse_time("01月01日 00:10", fetched) == bj(2027, 1, 1, 0, 10)
    assert parse_time("昨天 23:00", fetched) == bj(2026, 12, 31, 23, 0)
    assert parse_time("40分钟前", fetched) == bj(2026, 12, 31, 23, 50)


@pytest.mark.parametrize(
    ("raw", "delta"),
    [
        ("刚刚", timedelta(0)),
        ("5分钟前", timedelta(minutes=5)),
        ("5 分钟前", timedelta(minutes=5)),
        ("30秒前", timedelta(seconds=30)),
        ("3小时前", timedelta(hours=3)),
        ("1个小时前", timedelta(hours=1)),
        ("半小时前", timedelta(minutes=30)),
        ("一小时前", timedelta(hours=1)),
        ("十五分钟前", timedelta(minutes=15)),
        ("二十三分钟前", timedelta(minutes=23)),
        ("2天前", timedelta(days=2)),
        ("1周前", timedelta(days=7)),
        ("发表于 3小时前", timedelta(hours=3)),
    ],
)
def test_relative(raw: str, delta: timedelta) -> None:
    assert parse_time(raw, FETCHED) == FETCHED - delta


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("今天 12:40", bj(2026, 11, 20, 12, 40)),
        ("今天12:40", bj(2026, 11, 20, 12, 40)),
        ("昨天 08:00", bj(2026, 11, 19, 8, 0)),
        ("昨天", bj(2026, 11, 19)),
        ("前天 10:00", bj(2026, 11, 18, 10, 0)),
        ("09:30", bj(2026, 11, 20, 9, 30)),  # bare time: today
        ("12:40", bj(2026, 11, 19, 12, 40)),  # bare time ahead of the fetch: yesterday
    ],
)
def test_day_words_and_bare_times(raw: str, expected: datetime) -> None:
    assert parse_time(raw, FETCHED) == expected


def test_day_words_use_beijing_date_not_utc_date() -> None:
    # 2026-11-20 01:00 Beijing is still 11-19 in UTC; "今天" must mean Beijing's 11-20.
    fetched = datetime(2026, 11, 19, 17, 0, tzinfo=UTC)
    assert parse_time("今天 00:30", fetched) == bj(2026, 11, 20, 0, 30)


def test_other_site_zone() -> None:
    tokyo = timezone(timedelta(hours=9))
    assert parse_time("2021-07-12 10:14", FETCHED, tz=tokyo) == datetime(2021, 7, 12, 1, 14, tzinfo=UTC)


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "   ",
        "garbage",
        "未知",
        "几分钟前",
        "2021-13-40",
        "2026-02-30",
        "25:61",
        "3 hours",
        True,
        -5,
    ],
)
def test_unreadable_is_none_never_now(raw: object) -> None:
    assert parse_time(raw, FETCHED) is None  # type: ignore[arg-type]


def test_result_is_aware_utc() -> None:
    result = parse_time("2021年7月12日 10:14", FETCHED)
    assert result is not None and result.tzinfo is UTC


def test_naive_fetch_time_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_time("刚刚", datetime(2026, 11, 20, 10, 0))
