"""Bad input for the small parsers (hypothesis): the Chinese time parser, the topic query parser and the
duration parser either work or fail with their own documented error, and never hang.

Inputs that once broke a parser stay pinned as ``@example`` (the time parser's OverflowError on
"99999999天前" and "0001-01-01", the duration parser's ValueError on a 5000-digit number: both fixed). A bug
still open is pinned in a test marked ``xfail(strict=True)`` naming it, so CI stays green and the bug visible;
when it is fixed the test passes, strict xfail fails, and the marker must go.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from analysis.query import Query, QuerySyntaxError, parse
from crawlers.timeparse import SHANGHAI, parse_time
from tests.reliability.guard import time_limit
from tracker.durations import Duration, DurationError, parse_within

FAST = settings(max_examples=300, deadline=timedelta(milliseconds=500))
# A known bug shows as one exception (not an ExceptionGroup of every pinned example), so that
# xfail(raises=…) checks its type: anything else failing there is a new problem.
PINNED = settings(max_examples=20, deadline=None, report_multiple_bugs=False)
NOISE = [
    "\u200b",
    "\u200c",
    "\u200d",
    "\ufeff",
    "\u3000",
    "\x00",
    "\x07",
    "\x1b",
    "\r\n",
    "\t",
    "\ud7ff",
    "\U0010ffff",
]

# ---- the time parser ---------------------------------------------------------------------------------

TIME_WORDS = [
    "前", "之前", "个", "秒", "秒钟", "分", "分钟", "小时", "钟头", "天", "日", "周", "星期", "礼拜", "月", "年",
    "刚刚", "刚才", "今天", "今日", "昨天", "前天", "上午", "下午", "晚上", "凌晨", "中午", "AM", "pm", "半", "几",
    "十", "两", "三", ":", "：", "-", "/", ".", " ", "T", "Z", "+08:00", "-0500", "UTC", "GMT", "CST", "星期二",
    "（周三）", "发布时间：", "Tue Nov 17 10:14:00 +0800 2026", "Mon, 23 Nov 2026 10:00:00", "２０２６年",
    "１１月２３日", "２３：５９", "1763863200", "1763863200000",
]  # fmt: skip
FETCHED = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)).map(
    lambda d: d.replace(tzinfo=UTC)
) | st.sampled_from(
    [datetime(2026, 1, 1, 0, 0, 30, tzinfo=SHANGHAI), datetime(2026, 12, 31, 23, 59, tzinfo=UTC)]
)


def printed_times() -> st.SearchStrategy[str]:
    """Strings assembled from the pieces Chinese sites print, including absurd counts ("99999999天前") and
    dates at the edges of what datetime holds (.NET's empty date "0001-01-01")."""
    parts = st.sampled_from(TIME_WORDS + NOISE) | st.integers(0, 10**40).map(str) | st.dates().map(str)
    return st.lists(parts, max_size=12).map("".join)


def check_time(raw: object, fetched_at: datetime) -> None:
    result = parse_time(raw, fetched_at)  # type: ignore[arg-type]
    assert result is None or (isinstance(result, datetime) and result.utcoffset() == timedelta(0)), result


TIME_INPUTS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=60)
    | printed_times()
)


@FAST
@example(raw="0001-01-01 00:00:00", fetched_at=datetime(2026, 11, 23, tzinfo=UTC))
@example(raw="9999-12-31 23:59:59 -05:00", fetched_at=datetime(2026, 11, 23, tzinfo=UTC))
@example(raw="99999999天前", fetched_at=datetime(2026, 11, 23, tzinfo=UTC))
@example(raw="１２３４５６７８９天前", fetched_at=datetime(2026, 11, 23, tzinfo=UTC))
@example(raw="11111111111111111111秒前", fetched_at=datetime(2026, 11, 23, tzinfo=UTC))
@given(raw=TIME_INPUTS, fetched_at=FETCHED)
def test_time_parser_returns_none_or_aware_utc(raw: object, fetched_at: datetime) -> None:
    with time_limit(5):
        check_time(raw, fetched_at)


@pytest.mark.parametrize(
    "raw", ["0001-01-01 00:00:00", "9999-12-31 23:59:59 -05:00", "99999999天前", "１２３４５６７８９天前"]
)
def test_times_outside_what_datetime_holds_are_unreadable(raw: str) -> None:
    """Found by the property above (they raised OverflowError): now None, as any unreadable time."""
    assert parse_time(raw, datetime(2026, 11, 23, tzinfo=UTC)) is None


def test_time_parser_still_refuses_a_naive_fetch_time() -> None:
    """The one documented error: a programming mistake, not bad input."""
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_time("3小时前", datetime(2026, 11, 23))
    fixed = timezone(timedelta(hours=-3))
    assert parse_time("3小时前", datetime(2026, 11, 23, 12, tzinfo=fixed)) == datetime(
        2026, 11, 23, 12, tzinfo=UTC
    )


# ---- the topic query parser ----------------------------------------------------------------------------

QUERY_WORDS = [
    "AND",
    "OR",
    "NOT",
    "and",
    "或",
    "且",
    "非",
    "|",
    "&",
    "-",
    "+",
    "(",
    ")",
    "（",
    "）",
    '"',
    "“",
    "”",
]
QUERY_TERMS = ["食堂", "学校", "中毒", "腹泻", "演习", "a", "B2", "积水", " ", "\u3000"]


def queries(max_parts: int) -> st.SearchStrategy[str]:
    parts = st.sampled_from(QUERY_WORDS + QUERY_TERMS + NOISE) | st.text(max_size=3)
    return st.lists(parts, max_size=max_parts).map(lambda p: " ".join(p) if len(p) % 2 else "".join(p))


def check_query(q: str, text: str) -> None:
    try:
        query = parse(q)
    except QuerySyntaxError as exc:
        assert 0 <= exc.position <= len(q), (exc.position, len(q))
        assert exc.message_zh and str(exc).startswith("查询语法错误")
        return
    assert isinstance(query, Query)
    assert isinstance(query.matches(text), bool)


@FAST
@given(q=queries(40) | st.text(max_size=80), text=st.text(max_size=40))
def test_query_parser_gives_a_query_or_a_positioned_syntax_error(q: str, text: str) -> None:
    with time_limit(5):
        check_query(q, text)


@PINNED
@example(q="(" * 3000 + "食堂" + ")" * 3000, text="食堂")
@example(q="NOT " * 5000 + "食堂", text="食堂")
@given(q=queries(40), text=st.text(max_size=40))
def test_query_parser_survives_deep_nesting(q: str, text: str) -> None:
    with time_limit(5):
        check_query(q, text)


# ---- the duration parser -------------------------------------------------------------------------------

UNITS = [
    "h",
    "H",
    "小时",
    "个小时",
    "d",
    "天",
    "日",
    "wd",
    "个工作日",
    "工作日",
    "m",
    "min",
    "分钟",
    "内",
    "以内",
    "之内",
]
CN_NUMBERS = ["零", "〇", "一", "二", "两", "三", "十", "百", "千", "万", "五十"]


def durations(max_digits: int) -> st.SearchStrategy[str]:
    digits = st.text(alphabet="0123456789０１２３", min_size=1, max_size=max_digits)
    parts = st.sampled_from(UNITS + CN_NUMBERS + NOISE + [" ", "-", "."]) | digits
    return st.lists(parts, max_size=6).map("".join)


def check_duration(spec: object) -> None:
    try:
        result = parse_within(spec)  # type: ignore[arg-type]
    except DurationError as exc:
        assert str(exc)
        return
    assert isinstance(result, Duration) and result.amount >= 1 and result.label


@FAST
@given(spec=durations(20) | st.text(max_size=30) | st.integers() | st.none())
def test_duration_parser_gives_a_duration_or_a_duration_error(spec: object) -> None:
    with time_limit(5):
        check_duration(spec)


@FAST
@example(spec="1" * 5000 + "h")  # raised a plain ValueError (Python's int digit limit) before the fix
@example(spec="１" * 13 + "天")
@given(spec=durations(6000))
def test_duration_parser_on_absurdly_long_numbers(spec: str) -> None:
    with time_limit(5):
        check_duration(spec)
