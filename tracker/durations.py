"""Response-window durations: ``90m``, ``5h``, ``3d``, ``5wd`` and their Chinese forms.

A duration is only a number and a unit. How it turns into a deadline (natural hours versus
民法典 day counting versus working days) lives in :mod:`tracker.deadlines`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

DurationKind = Literal["minutes", "hours", "days", "workdays"]

# Upper bounds keep a typo ("5000wd") from walking the calendar for decades; ten years is far
# beyond any response window or commitment the product tracks.
_MAX_AMOUNT: dict[DurationKind, int] = {
    "minutes": 60 * 24 * 366,
    "hours": 24 * 366 * 10,
    "days": 3660,
    "workdays": 2500,
}

_LABEL_UNIT: dict[DurationKind, str] = {
    "minutes": "分钟",
    "hours": "小时",
    "days": "天",
    "workdays": "个工作日",
}

# Longest suffixes first so "个工作日" is not read as "日".
_UNITS: tuple[tuple[str, DurationKind], ...] = (
    ("个工作日", "workdays"),
    ("工作日", "workdays"),
    ("wd", "workdays"),
    ("个自然日", "days"),
    ("自然日", "days"),
    ("天", "days"),
    ("日", "days"),
    ("d", "days"),
    ("个小时", "hours"),
    ("小时", "hours"),
    ("h", "hours"),
    ("分钟", "minutes"),
    ("min", "minutes"),
    ("m", "minutes"),
)

ACCEPTED_FORMS = "90m、5h、48h、3d（自然日）、5wd（工作日），或 90分钟、5小时、3天、3日、5个工作日"

_CN_DIGITS = {ch: value for value, ch in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_CN_NUMBER = re.compile(r"[零〇一二两三四五六七八九十百]+")


class DurationError(ValueError):
    """A ``within`` value that is not one of the accepted forms; the message is Chinese."""


@dataclass(frozen=True)
class Duration:
    kind: DurationKind
    amount: int
    spec: str

    @property
    def label(self) -> str:
        """How the window reads in the UI and the ledger, e.g. ``5小时`` or ``5个工作日``."""
        return f"{self.amount}{_LABEL_UNIT[self.kind]}"


def parse_cn_number(text: str) -> int | None:
    """``"三十"`` → 30, ``"十五"`` → 15, ``"两"`` → 2, ``"一百二十"`` → 120; None if not a number.

    Official texts write small periods in Chinese numerals ("三十日内", "十个工作日内"); numbers
    at or above a thousand do not occur in response windows, so only 百 and 十 are handled.
    """
    if not text or not _CN_NUMBER.fullmatch(text):
        return None
    total, current = 0, 0
    for ch in text:
        if ch == "百":
            total += (current or 1) * 100
            current = 0
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = current * 10 + _CN_DIGITS[ch]
    return total + current


def parse_amount(text: str) -> int | None:
    """An Arabic or Chinese numeral (after NFKC, so full-width digits work); None otherwise."""
    text = unicodedata.normalize("NFKC", text).strip()
    if text.isascii() and text.isdigit():
        return int(text) if len(text) <= 12 else None  # a 13-digit period is a typo, not a deadline
    return parse_cn_number(text)


def parse_within(spec: str) -> Duration:
    """Read a ``within`` value from config, CLI or a commitment.

    Accepts an optional trailing 内/以内/之内 because people copy the phrase from the policy text.
    """
    if not isinstance(spec, str):
        raise DurationError(f"期限必须是文字，例如 {ACCEPTED_FORMS}")
    original = spec.strip()
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", original)).lower()
    for tail in ("以内", "之内", "内"):
        if text.endswith(tail):
            text = text[: -len(tail)]
            break
    for suffix, kind in _UNITS:
        if text.endswith(suffix):
            amount = parse_amount(text[: -len(suffix)])
            if amount is None:
                break
            return _checked(Duration(kind=kind, amount=amount, spec=original))
    raise DurationError(f"无法识别的期限“{original}”：可用格式为 {ACCEPTED_FORMS}")


def _checked(duration: Duration) -> Duration:
    limit = _MAX_AMOUNT[duration.kind]
    if duration.amount < 1:
        raise DurationError(f"期限“{duration.spec}”必须大于零：可用格式为 {ACCEPTED_FORMS}")
    if duration.amount > limit:
        raise DurationError(f"期限“{duration.spec}”过长：{_LABEL_UNIT[duration.kind]}数不能超过 {limit}")
    return duration
