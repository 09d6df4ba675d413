"""One parser for the time expressions Chinese sites print.

``parse_time(raw, fetched_at)`` returns an aware UTC datetime or ``None``. It never guesses: a string it
cannot read gives ``None`` (the caller logs it and keeps the post with an empty time). Relative and partial
expressions ("3小时前", "昨天 08:00", "06月17日 18:12", "12:40") resolve against the fetch time in the
site's time zone (Asia/Shanghai unless told otherwise).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from email.utils import parsedate_tz
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
CHINA_STANDARD = timezone(timedelta(hours=8), "CST")

# A partial date ("12月30日") read on 1 January belongs to the previous year. A small allowance keeps a
# post stamped slightly ahead of our clock (server skew) in the current year instead of a year back.
_FUTURE_ALLOWANCE = timedelta(days=1)

# Epoch values above this are milliseconds (1e11 seconds is the year 5138).
_MS_THRESHOLD = 100_000_000_000

_TIME = (
    r"(?:(?P<ampm>上午|下午|晚上|凌晨|中午|早上|傍晚|AM|PM|am|pm)\s*)?"
    r"(?P<H>\d{1,2})\s*(?:[:]\s*(?P<M>\d{1,2})|[时点]\s*(?:(?P<M2>\d{1,2})\s*分?)?)"
    r"(?:\s*[:]\s*(?P<S>\d{1,2})(?:\.\d+)?|\s*(?P<S2>\d{1,2})\s*秒)?"
    r"(?:\s*(?P<ampm2>AM|PM|am|pm)\b)?"
)
# "2026年11月17日 星期二 10:14": the weekday some sites print between date and time.
_WEEKDAY = r"(?:\s*[(（]?(?:星期|周|礼拜)[一二三四五六日天][)）]?)?"
_TZ = r"(?:\s*(?P<tz>Z|[+-]\d{2}:?\d{2}|UTC|GMT)(?![\d:]))?"

_ABSOLUTE = re.compile(
    r"(?<!\d)(?P<y>\d{4})\s*[年\-/.]\s*(?P<m>\d{1,2})\s*[月\-/.]\s*(?P<d>\d{1,2})(?!\d)\s*日?"
    + _WEEKDAY
    + r"(?:(?:\s*T\s*|\s*)"
    + _TIME
    + ")?"
    + _TZ
)
_PARTIAL = re.compile(
    r"(?<![\d.])(?P<m>\d{1,2})\s*[月\-/]\s*(?P<d>\d{1,2})(?!\d)\s*日?" + _WEEKDAY + r"(?:\s*" + _TIME + ")?"
)
_DAY_WORD = re.compile(r"(?P<word>今天|今日|昨天|昨日|前天)(?:\s*" + _TIME + ")?")
_TIME_ONLY = re.compile(r"^" + _TIME + "$")
_AGO = re.compile(
    r"(?P<n>\d+|半|[一二两三四五六七八九十]+|几)\s*(?:个)?\s*"
    r"(?P<unit>秒钟|秒|分钟|分|小时|钟头|天|日|周|星期|礼拜|月|年)\s*(?:之)?前"
)
_JUST_NOW = re.compile(r"刚刚|刚才|片刻前|just now", re.IGNORECASE)
_WEIBO = re.compile(r"[A-Z][a-z]{2} [A-Z][a-z]{2} \d{1,2} \d{2}:\d{2}:\d{2} [+-]\d{4} \d{4}")
_RFC822_HINT = re.compile(r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\b", re.IGNORECASE)
_RFC822_ZONE = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?\s+(?P<z>[+-]\d{4}|[A-Za-z]{1,5})\b")
_EPOCH = re.compile(r"^\d{10}(?:\.\d+)?$|^\d{13}$")

_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
# Month and year offsets are approximate by nature ("3个月前"); 30 and 365 days are what sites mean.
_UNIT_SECONDS = {
    "秒": 1, "秒钟": 1, "分": 60, "分钟": 60, "小时": 3600, "钟头": 3600, "天": 86400, "日": 86400,
    "周": 7 * 86400, "星期": 7 * 86400, "礼拜": 7 * 86400, "月": 30 * 86400, "年": 365 * 86400,
}  # fmt: skip


def parse_time(raw: str | int | float | None, fetched_at: datetime, tz: tzinfo = SHANGHAI) -> datetime | None:
    """Read a printed time; return aware UTC, or None when it cannot be read. ``fetched_at`` must be aware."""
    if fetched_at.tzinfo is None or fetched_at.utcoffset() is None:
        raise ValueError("fetched_at must be timezone-aware")
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return _from_epoch(float(raw))
    text = _normalise(str(raw))
    if not text:
        return None
    if _EPOCH.match(text):
        return _from_epoch(float(text))
    local_now = fetched_at.astimezone(tz)
    for reader in (_read_weibo, _read_rfc822, _read_absolute, _read_relative, _read_day_word, _read_partial):
        try:
            result = reader(text, local_now, tz)
            if result is not None:
                return result.astimezone(UTC)
        except (OverflowError, ValueError):
            # "99999999天前" or "0001-01-01 00:00:00" falls outside what datetime can hold: unreadable
            return None
    return None


def _normalise(text: str) -> str:
    # NFKC turns full-width digits, colons and spaces into ASCII ("２０２１年" → "2021年").
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"\s+", " ", text).strip()


def _from_epoch(value: float) -> datetime | None:
    if value < 0 or value != value:  # negative or NaN
        return None
    if value >= _MS_THRESHOLD:
        value /= 1000.0
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _read_weibo(text: str, now: datetime, tz: tzinfo) -> datetime | None:
    match = _WEIBO.search(text)
    if not match:
        return None
    try:
        return datetime.strptime(match.group(0), "%a %b %d %H:%M:%S %z %Y")
    except ValueError:
        return None


def _read_rfc822(text: str, now: datetime, tz: tzinfo) -> datetime | None:
    if not _RFC822_HINT.search(text):
        return None
    parts = parsedate_tz(text)
    if parts is None:
        return None
    year, month, day, hour, minute, second = parts[:6]
    zone_match = _RFC822_ZONE.search(text)
    label = zone_match["z"].upper() if zone_match else None
    zone: tzinfo
    if label is None:
        zone = tz  # no zone printed: a Chinese feed means the site's local time, not UTC
    elif label == "CST":
        zone = CHINA_STANDARD  # Chinese servers print CST for China Standard Time, not US Central
    else:
        zone = timezone(timedelta(seconds=parts[9] or 0))
    return _build(year, month, day, hour, minute, second, zone)


def _read_absolute(text: str, now: datetime, tz: tzinfo) -> datetime | None:
    match = _ABSOLUTE.search(text)
    if not match:
        return None
    zone = _zone(match.group("tz"), tz)
    clock = _clock(match)
    if clock is None:
        return None
    return _build(int(match["y"]), int(match["m"]), int(match["d"]), *clock, zone)


def _read_relative(text: str, now: datetime, tz: tzinfo) -> datetime | None:
    if _JUST_NOW.search(text):
        return now
    match = _AGO.search(text)
    if not match:
        return None
    count = _cn_number(match["n"])
    if count is None:
        return None
    seconds = count * _UNIT_SECONDS[match["unit"]]
    if seconds > 30 * 365 * 86400:
        return None  # "2026年前" is a year followed by 前, not two thousand years ago
    return now - timedelta(seconds=seconds)


def _read_day_word(text: str, now: datetime, tz: tzinfo) -> datetime | None:
    match = _DAY_WORD.search(text)
    if not match:
        return None
    back = {"今天": 0, "今日": 0, "昨天": 1, "昨日": 1, "前天": 2}[match["word"]]
    day = now.date() - timedelta(days=back)
    clock = _clock(match) if match["H"] is not None else (0, 0, 0)
    if clock is None:
        return None
    return _build(day.year, day.month, day.day, *clock, tz)


def _read_partial(text: str, now: datetime, tz: tzinfo) -> datetime | None:
    match = _PARTIAL.search(text)
    if match:
        clock = _clock(match) if match["H"] is not None else (0, 0, 0)
        if clock is None:
            return None
        month, day = int(match["m"]), int(match["d"])
        result = _build(now.year, month, day, *clock, tz)
        if result is not None and result > now + _FUTURE_ALLOWANCE:
            result = _build(now.year - 1, month, day, *clock, tz)
        return result
    match = _TIME_ONLY.match(text)
    if not match:
        return None
    # A bare "12:40" is how many lists print today's posts; if that is ahead of the fetch, it was yesterday.
    clock = _clock(match)
    if clock is None:
        return None
    today: date = now.date()
    result = _build(today.year, today.month, today.day, *clock, tz)
    if result is not None and result > now + timedelta(minutes=5):
        result -= timedelta(days=1)
    return result


def _clock(match: re.Match[str]) -> tuple[int, int, int] | None:
    if match["H"] is None:
        return (0, 0, 0)
    hour = int(match["H"])
    minute = int(match["M"] or match["M2"] or 0)
    second = int(match["S"] or match["S2"] or 0)
    marker = (match["ampm"] or match["ampm2"] or "").lower()
    if marker in ("下午", "晚上", "傍晚", "pm") and hour < 12:
        hour += 12
    elif marker in ("凌晨", "am", "上午", "早上") and hour == 12:
        hour = 0
    elif marker == "中午" and hour < 11:
        hour += 12
    if hour > 23 or minute > 59 or second > 59:
        return None
    return hour, minute, second


def _zone(label: str | None, default: tzinfo) -> tzinfo:
    if not label:
        return default
    if label in ("Z", "UTC", "GMT"):
        return UTC
    sign = 1 if label[0] == "+" else -1
    digits = label[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def _build(
    year: int, month: int, day: int, hour: int, minute: int, second: int, zone: tzinfo
) -> datetime | None:
    try:
        return datetime.combine(date(year, month, day), time(hour, minute, second), tzinfo=zone)
    except ValueError:  # 2月30日, month 13 …: unreadable, not "now"
        return None


def _cn_number(token: str) -> float | None:
    if token.isdigit():
        return float(token)
    if token == "半":
        return 0.5
    if token == "几":  # "几分钟前": no number to read
        return None
    if token == "十":
        return 10.0
    if "十" in token:
        tens, _, ones = token.partition("十")
        value = (_CN_DIGITS.get(tens, 0) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)
        return float(value)
    return float(_CN_DIGITS[token]) if token in _CN_DIGITS else None
