"""Commitment suggestions from the text of an official response (通报、情况说明、答复).

"将于3月15日前完成"、"10个工作日内答复"、"月底前整改到位"、"30日内"、"年底前"、"持续推进": each
promise becomes a suggestion with its due time, computed on the same calendar as obligations.
A person confirms or edits every suggestion, so the rules take clear promise wording and stay
quiet on narrative dates ("3月10日，我局接到群众反映…", "已于2月28日完成").

Relative periods ("30日内", "10个工作日内") run from the response's publication time: the text
rarely names another start, and when it does ("收到材料之日起") the person adjusts the date.
Fixed dates ("3月15日前", "10月底", "年底前") end at 24:00 of that date (or the office close
time) and are not moved off holidays: 民法典 第二百零三条 applies to periods, not named dates.
A fixed date without a year that is already past at publication means next year.
"""

from __future__ import annotations

import calendar as _gregorian
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import cast

from tracker.deadlines import BEIJING, MIDNIGHT, compute_due, compute_due_months, end_of_day
from tracker.durations import Duration, DurationKind, parse_amount
from tracker.workcal import WorkCalendar


@dataclass(frozen=True)
class CommitmentSuggestion:
    content: str  # the sentence that holds the promise
    phrase: str  # the time expression found in it, e.g. "10个工作日内"
    due: datetime | None  # aware UTC; None for periodic promises
    provisional: bool  # the calendar had no data for a date the due time depends on
    periodic: bool  # no date: reviewed periodically ("持续推进")


_NUM = r"(?:\d{1,4}|[零〇一二两三四五六七八九十百]{1,4})"
_YEAR = r"(?:(?P<year>\d{4})年|(?P<rel>今|明|本|次)年)"
_MARK = r"(?P<mark>之前|以前|前(?!后)|为止|以内|之内|内)?"

# (kind, pattern). Where two matches overlap the earlier, then the longer, wins, so "10月底"
# is a month part rather than "月底", and "一年内" a period rather than "年内".
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        ("date", rf"{_YEAR}?(?P<m>{_NUM})月(?P<d>{_NUM})[日号]{_MARK}"),
        ("month_part", rf"{_YEAR}?(?P<m>{_NUM})月份?(?P<part>底|末|上旬|中旬|下旬|内|以内){_MARK}"),
        ("year_end", rf"(?:{_YEAR}度?(?:年底|年末|底|末|内)|年度内|年底|年末|年内){_MARK}"),
        ("half", rf"{_YEAR}?(?P<half>上半年|下半年|年中){_MARK}"),
        ("quarter", rf"{_YEAR}?第?(?P<q>[一二三四1-4])季度(?:末|底)?{_MARK}"),
        (
            "month_end",
            rf"(?:(?P<which>本|当|下个?|次)?月(?:底|末)|(?P<which2>本|当|下个?|次)月(?=以内|之内|内)){_MARK}",
        ),
        ("week", rf"(?P<which>本|下)周末?(?![一二三四五六日天]){_MARK}"),
        (
            "relative",
            rf"(?P<n>{_NUM}|半)(?P<u>个?工作日|个?自然日|个?小时|个月|个?星期|周|日|天|年)(?:的?时间)?(?P<mark>以内|之内|内)",
        ),
        (
            "relative_limit",
            rf"(?:限期|时限为|期限为)(?P<n>{_NUM}|半)(?P<u>个?工作日|个?自然日|个?小时|个月|天|日)",
        ),
        (
            "day_of_month",
            r"(?<![月\d零〇一二两三四五六七八九十])(?P<cur>本月|当月)?(?P<d>\d{1,2})[日号](?P<mark>之前|以前|前(?!后))",
        ),
        (
            "periodic",
            "持续推进|持续跟进|持续关注|持续发布|定期通报|定期公布|定期发布|及时发布|及时通报|及时公布"
            "|及时向社会公布|动态发布|常态化|长效机制",
        ),
    )
)

_SENTENCE_SPLIT = re.compile(r"[。；;！!？?\n]+")
_FUTURE = (  # "现将有关情况通报如下" introduces a report, not a promise
    r"(?<!现)将|拟|计划|预计|力争|争取|确保|承诺|要求|责令|责成|督促|限期|限时|按期|务必|必须|定于|立即|尽快|届时"
    r"|下一步|后续"
)
_PAST = r"已|曾|此前"
# "已责令…" reports an order already given: a future word right after 已 does not count.
_MARKER = re.compile(rf"(?<!已)(?P<future>{_FUTURE})|(?P<past>{_PAST})")
# A time expression right after these is a starting point or a past reference, not a deadline.
_BAD_BEFORE = re.compile(r"(?:截至|截止|截止到|自|从|去年|前年|上个?|往年)$")
# "3月5日前已上报" and "24小时内完成了" are done; "3月9日18时许" is when something happened.
_BAD_AFTER = re.compile(
    r"^(?:起|以来|开始|至今|左右|以后|之后|后|.{0,3}已|.{0,4}了(?!解)|\d{1,2}[时点:：]|[上下中晚凌早]午|晚|夜间|许)"
)
_DONE_AFTER = re.compile(
    "^(?:全面|全部|基本|前)?(?:完成|整改|办结|到位|竣工|完工|建成|答复|回复|公布|公开|反馈|上线|开通|投用"
    "|投入使用|开工|实施|解决|落实|召开)"
)


def extract_commitments(
    text: str, published_at: datetime, cal: WorkCalendar, office_close: time = MIDNIGHT
) -> list[CommitmentSuggestion]:
    """Suggestions in text order; a sentence with a dated promise gets no periodic suggestion."""
    if published_at.tzinfo is None or published_at.utcoffset() is None:
        raise ValueError("published_at 必须带时区（aware datetime）")
    context = _Context(published_at, cal, office_close)
    found: list[CommitmentSuggestion] = []
    for sentence in (s.strip() for s in _SENTENCE_SPLIT.split(text)):
        if sentence:
            found.extend(_from_sentence(sentence, context))
    return found


@dataclass(frozen=True)
class _Context:
    published_at: datetime
    cal: WorkCalendar
    office_close: time

    @property
    def local(self) -> datetime:
        return self.published_at.astimezone(BEIJING)

    def end_of(self, day: date) -> datetime:
        return end_of_day(day, self.office_close, BEIJING)


_Resolved = tuple[datetime, bool]  # (due in UTC, provisional)


def _from_sentence(sentence: str, ctx: _Context) -> list[CommitmentSuggestion]:
    dated: list[CommitmentSuggestion] = []
    periodic: list[CommitmentSuggestion] = []
    for kind, match in _non_overlapping(sentence):
        phrase = match.group(0)
        strong = bool(match.groupdict().get("mark")) or phrase.endswith("内") or kind == "relative_limit"
        if not _accepted(sentence, match, periodic=kind == "periodic", strong=strong):
            continue
        if kind == "periodic":
            periodic.append(CommitmentSuggestion(sentence, phrase, None, False, True))
            continue
        resolved = _RESOLVERS[kind](match, ctx)
        if resolved is not None:
            due, provisional = resolved
            dated.append(CommitmentSuggestion(sentence, phrase, due, provisional, False))
    return dated or periodic[:1]


def _non_overlapping(sentence: str) -> list[tuple[str, re.Match[str]]]:
    candidates = [(kind, m) for kind, pattern in _PATTERNS for m in pattern.finditer(sentence)]
    candidates.sort(key=lambda item: (item[1].start(), -len(item[1].group(0))))
    chosen: list[tuple[str, re.Match[str]]] = []
    taken_until = -1
    for kind, m in candidates:
        if m.start() >= taken_until:
            chosen.append((kind, m))
            taken_until = m.end()
    return chosen


def _accepted(sentence: str, match: re.Match[str], periodic: bool, strong: bool) -> bool:
    """Is this time expression a promise? The nearest tense marker before it decides first."""
    before, after = sentence[: match.start()], sentence[match.end() :]
    if _BAD_BEFORE.search(before) or _BAD_AFTER.match(after):
        return False
    markers = list(_MARKER.finditer(before))
    nearest = markers[-1].lastgroup if markers else None
    if nearest == "past":
        return False
    if periodic:  # the wording is itself the promise
        return True
    return strong or nearest == "future" or bool(_DONE_AFTER.match(after))


def _year(match: re.Match[str], ctx: _Context) -> tuple[int, bool]:
    """(year, stated): a stated year is never rolled forward."""
    groups = match.groupdict()
    if groups.get("year"):
        return int(groups["year"]), True
    if groups.get("rel"):
        return ctx.local.year + (1 if groups["rel"] in "明次" else 0), True
    return ctx.local.year, False


def _fixed(make_day: Callable[[int], date | None], match: re.Match[str], ctx: _Context) -> _Resolved | None:
    """A named date: roll an unstated year forward once if the date has passed; drop a past one."""
    year, stated = _year(match, ctx)
    day = make_day(year)
    if day is None:
        return None
    due = ctx.end_of(day)
    if due <= ctx.published_at:
        if stated:
            return None
        next_day = make_day(year + 1)  # None only for 2月29日 without a leap year next
        if next_day is None:
            return None
        due = ctx.end_of(next_day)
    return due.astimezone(UTC), False


def _safe_date(year: int, month: int | None, day: int | None) -> date | None:
    try:
        return date(year, month, day) if month and day else None
    except ValueError:  # "2月30日", "13月1日"
        return None


def _last_of_month(year: int, month: int | None) -> date | None:
    if month is None or not 1 <= month <= 12:
        return None
    return date(year, month, _gregorian.monthrange(year, month)[1])


def _resolve_date(m: re.Match[str], ctx: _Context) -> _Resolved | None:
    month, day = parse_amount(m["m"]), parse_amount(m["d"])
    return _fixed(lambda y: _safe_date(y, month, day), m, ctx)


def _resolve_month_part(m: re.Match[str], ctx: _Context) -> _Resolved | None:
    month = parse_amount(m["m"])
    part_day = {"上旬": 10, "中旬": 20}.get(m["part"])
    if part_day is not None:
        return _fixed(lambda y: _safe_date(y, month, part_day), m, ctx)
    return _fixed(lambda y: _last_of_month(y, month), m, ctx)


def _resolve_year_part(m: re.Match[str], ctx: _Context) -> _Resolved | None:
    """年底/年内/下半年 → 12-31, 上半年/年中 → 6-30, 第N季度 → the quarter's last day."""
    groups = m.groupdict()
    if groups.get("q"):
        month = 3 * ("一二三四".find(m["q"]) + 1 or int(m["q"]))
    else:
        month = 6 if groups.get("half") in ("上半年", "年中") else 12
    return _fixed(lambda y: _last_of_month(y, month), m, ctx)


def _resolve_month_end(m: re.Match[str], ctx: _Context) -> _Resolved | None:
    which = m["which"] or m["which2"] or "本"
    local = ctx.local.date()
    year, month = (local.year, local.month)
    if which.startswith("下") or which == "次":
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    last = _last_of_month(year, month)
    return (ctx.end_of(last).astimezone(UTC), False) if last else None


def _resolve_week(m: re.Match[str], ctx: _Context) -> _Resolved | None:
    local = ctx.local.date()
    sunday = local + timedelta(days=6 - local.weekday() + (7 if m["which"] == "下" else 0))
    return ctx.end_of(sunday).astimezone(UTC), False


def _resolve_day_of_month(m: re.Match[str], ctx: _Context) -> _Resolved | None:
    day, local = int(m["d"]), ctx.local.date()
    due = _safe_date(local.year, local.month, day)
    if due is not None and ctx.end_of(due) > ctx.published_at:
        return ctx.end_of(due).astimezone(UTC), False
    if m["cur"]:
        return None  # "本月5日前" already past: a narrative, not a promise
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    due = _safe_date(year, month, day)
    return (ctx.end_of(due).astimezone(UTC), False) if due else None


def _resolve_relative(m: re.Match[str], ctx: _Context) -> _Resolved | None:
    unit = m["u"].removeprefix("个")
    if m["n"] == "半":
        half = {"年": ("months", 6), "月": ("days", 15), "小时": ("minutes", 30)}.get(unit)
        if half is None:  # "半天" is too vague to date
            return None
        kind, amount = half
    else:
        amount = parse_amount(m["n"]) or 0
        kind, amount = {
            "工作日": ("workdays", amount),
            "小时": ("hours", amount),
            "月": ("months", amount),
            "年": ("months", 12 * amount),
            "星期": ("days", 7 * amount),
            "周": ("days", 7 * amount),
        }.get(unit, ("days", amount))
    if not 0 < amount <= 3660:
        return None
    if kind == "months":
        result = compute_due_months(ctx.published_at, amount, ctx.cal, ctx.office_close)
    else:
        duration = Duration(kind=cast(DurationKind, kind), amount=amount, spec=m.group(0))
        result = compute_due(ctx.published_at, duration, ctx.cal, ctx.office_close)
    return result.due, result.provisional


_RESOLVERS: dict[str, Callable[[re.Match[str], _Context], _Resolved | None]] = {
    "date": _resolve_date,
    "month_part": _resolve_month_part,
    "year_end": _resolve_year_part,
    "half": _resolve_year_part,
    "quarter": _resolve_year_part,
    "month_end": _resolve_month_end,
    "week": _resolve_week,
    "relative": _resolve_relative,
    "relative_limit": _resolve_relative,
    "day_of_month": _resolve_day_of_month,
}
