"""The only module that reads the wall clock. Everything else takes ``now`` or a ``Clock``.

Tests and replays freeze or shift time with ``FrozenClock``; ``YUQING_FROZEN_NOW`` (ISO 8601) freezes the
clock of a whole process, which is how subprocess crawls in tests resolve "3小时前" deterministically.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime:
        """Aware UTC datetime."""
        ...


class SystemClock:
    def now(self) -> datetime:
        frozen = os.environ.get("YUQING_FROZEN_NOW")
        if frozen:
            return parse_iso(frozen)
        return datetime.now(UTC)


class FrozenClock:
    """A clock that only moves when told to."""

    def __init__(self, at: datetime) -> None:
        self._at = ensure_utc(at)

    def now(self) -> datetime:
        return self._at

    def advance(self, delta: timedelta) -> None:
        self._at += delta

    def set(self, at: datetime) -> None:
        self._at = ensure_utc(at)


_system = SystemClock()


def utcnow() -> datetime:
    """Aware UTC now from the system clock (or YUQING_FROZEN_NOW)."""
    return _system.now()


def ensure_utc(dt: datetime) -> datetime:
    """Naive datetimes are taken as Beijing time (what users type); aware ones are converted to UTC."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=BEIJING)
    return dt.astimezone(UTC)


def to_beijing(dt: datetime) -> datetime:
    return ensure_utc(dt).astimezone(BEIJING)


def parse_iso(text: str) -> datetime:
    """ISO 8601; without an offset the time is Beijing time."""
    return ensure_utc(datetime.fromisoformat(text.strip()))


def fmt_beijing(dt: datetime | None, with_seconds: bool = False) -> str:
    """'2026-11-23 14:05' in Beijing time, '' for None: what users read."""
    if dt is None:
        return ""
    return to_beijing(dt).strftime("%Y-%m-%d %H:%M:%S" if with_seconds else "%Y-%m-%d %H:%M")


def iso_beijing(dt: datetime | None) -> str | None:
    """ISO 8601 with +08:00 offset, for machine-readable output."""
    return None if dt is None else to_beijing(dt).isoformat()
