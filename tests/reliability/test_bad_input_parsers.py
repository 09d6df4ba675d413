"""Bad input for the small parsers (hypothesis): the Chinese time parser, the topic query parser and the
duration parser either work or fail with their own documented error, and never hang.

Where a property found a real bug in a module owned elsewhere, the property is kept twice: once over the
inputs sites and users actually produce (must pass), once unrestricted with the failing input pinned as an
``@example`` and marked ``xfail(strict=True)`` naming the bug, so CI stays green and the bug stays visible.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone

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


def printed_times(max_number: int | None) -> st.SearchStrategy[str]:
    """Strings assembled from the pieces Chinese sites print, with numbers up to ``max_number`` and dates
    in 1900–2100 (None: any number, any date)."""
    numbers = st.integers(0, max_number) if max_number is not None else st.integers(0, 10**40)
    dates = st.dates() if max_number is None else st.dates(date(1900, 1, 1), date(2100, 12, 31))
    parts = st.sampled_from(TIME_WORDS + NOISE) | numbers.map(str) | dates.map(str)
    return st.lists(parts, max_size=12).map("".join)


BIG_NUMBER = re.compile(r"\d{4,}")  # a count or year of 1000 or more (after NFKC)


def check_time(raw: object, fetched_at: datetime, tolerate_known_bug: bool = False) -> None:
    try:
        result = parse_time(raw, fetched_at)  # type: ignore[arg-type]
    except OverflowError:
        # The known bug pinned by the xfail test below needs a number of four or more digits; an overflow
        # on anything else is a new failure.
        if (
            tolerate_known_bug
            and isinstance(raw, str)
            and BIG_NUMBER.search(unicodedata.normalize("NFKC", raw))
        ):
            return
        raise
    assert result is None or (isinstance(result, datetime) and result.utcoffset() == timedelta(0)), result


TIME_INPUTS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=60)
    | printed_times(999)
)


@FAST
@given(raw=TIME_INPUTS, fetched_at=FETCHED)
def test_time_parser_returns_none_or_aware_utc(raw: object, fetched_at: datetime) -> None:
    with time_limit(5):
        check_time(raw, fetched_at, tolerate_known_bug=True)


@pytest.mark.xfail(
    strict=True,
    raises=OverflowError,
    reason="crawlers/timeparse.py 的缺陷：抛出 OverflowError 而不是返回 None：(1) 相对时间数量过大"
    "（“99999999天前”“１２３４５６７８９天前”、20 位数字的“秒前”），_read_relative 中 timedelta 或日期越界；"
    "(2) 日期在 datetime 范围边缘（.NET 的空日期“0001-01-01 00:00:00”、“9999-12-31 23:59:59 -05:00”），"
    "parse_time 中 astimezone(UTC) 越界",
)
@PINNED
@example(raw="0001-01-01 00:00:00", fetched_at=datetime(2026, 11, 23, tzinfo=UTC))
@example(raw="9999-12-31 23:59:59 -05:00", fetched_at=datetime(2026, 11, 23, tzinfo=UTC))
@example(raw="99999999天前", fetched_at=datetime(2026, 11, 23, tzinfo=UTC))
@example(raw="１２３４５６７８９天前", fetched_at=datetime(2026, 11, 23, tzinfo=UTC))
@example(raw="11111111111111111111秒前", fetched_at=datetime(2026, 11, 23, tzinfo=UTC))
@given(raw=TIME_INPUTS | printed_times(None), fetched_at=FETCHED)
def test_time_parser_never_raises_even_on_huge_counts(raw: object, fetched_at: datetime) -> None:
    with time_limit(5):
        check_time(raw, fetched_at)


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


@pytest.mark.xfail(
    strict=True,
    raises=RecursionError,
    reason="analysis/query.py 的缺陷：递归下降解析没有嵌套深度上限，在默认递归上限 1000 下约 250 层括号"
    "或约 1000 个连续 NOT 即抛出 RecursionError，而不是 QuerySyntaxError（“嵌套过深”）。"
    "（hypothesis 运行时把递归上限提高到约 2000，所以这里用更深的例子）",
)
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
@given(spec=durations(100) | st.text(max_size=30) | st.integers() | st.none())
def test_duration_parser_gives_a_duration_or_a_duration_error(spec: object) -> None:
    with time_limit(5):
        check_duration(spec)


@pytest.mark.xfail(
    strict=True,
    raises=ValueError,
    reason="tracker/durations.py 的缺陷：超过 4300 位的阿拉伯数字（如 '1'*5000 + 'h'）在 parse_amount 的 int() "
    "处抛出普通 ValueError（Python 整数位数上限），而不是 DurationError",
)
@PINNED
@example(spec="1" * 5000 + "h")
@given(spec=durations(6000))
def test_duration_parser_on_absurdly_long_numbers(spec: str) -> None:
    with time_limit(5):
        check_duration(spec)
