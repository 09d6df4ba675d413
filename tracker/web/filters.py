"""Jinja filters and the deadline state shown on every countdown.

All times reach the page in Beijing time; countdowns are rendered complete on the server (remaining
time and colour) and only refreshed by static/app.js, so a browser without JavaScript loses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from flask import Flask

from alerts.messages import humanize_delta
from analysis.taxonomy import GRADES, category_name
from tracker.auth import ROLES
from tracker.clock import fmt_beijing, iso_beijing
from tracker.commitments import STATUS_NAMES
from tracker.deadlines import warning_times

OBLIGATION_STATES = {
    "pending": "进行中",
    "met": "已按时完成",
    "met_late": "逾期完成",
    "breached": "已超时",
    "waived": "已豁免",
}
INCIDENT_STATUS = {"open": "处理中", "closed": "已关闭", "merged": "已合并"}
BASIS_NAMES = {"first_post": "首发", "detected": "发现", "graded": "定级"}


@dataclass(frozen=True)
class Countdown:
    due: datetime
    warn_at: datetime | None
    state: str  # ok, warn, breach, done
    text: str

    @property
    def due_iso(self) -> str:
        return iso_beijing(self.due) or ""

    @property
    def warn_iso(self) -> str:
        return iso_beijing(self.warn_at) or ""


class Deadline(Protocol):
    """An obligation, or the dashboard's cached copy of one."""

    @property
    def state(self) -> str: ...
    @property
    def start_at(self) -> datetime: ...
    @property
    def due_at(self) -> datetime: ...


def countdown(ob: Deadline, now: datetime, fractions: list[float]) -> Countdown:
    """Colour by state: pending (ok), warning (past the first warning point), breached."""
    if ob.state not in ("pending", "breached"):
        return Countdown(ob.due_at, None, "done", OBLIGATION_STATES.get(ob.state, ob.state))
    try:
        warns = warning_times(ob.start_at, ob.due_at, fractions)
    except ValueError:  # a zero-length window: no warning point
        warns = []
    warn_at = warns[0] if warns else None
    left = (ob.due_at - now).total_seconds()
    if left < 0 or ob.state == "breached":
        state = "breach"
    elif warn_at is not None and now >= warn_at:
        state = "warn"
    else:
        state = "ok"
    text = humanize_delta(left) if left < 0 else f"剩余{humanize_delta(left)}"
    return Countdown(ob.due_at, warn_at, state, text)


def http_url(url: str | None) -> str:
    """The URL when it is http(s), else "": a stored "javascript:" link must never become clickable."""
    value = (url or "").strip()
    return value if value.lower().startswith(("http://", "https://")) else ""


def pct(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def grade_name(code: str | None) -> str:
    return GRADES.get(code or "", code or "未定级")


def sentiment_label(score: float) -> str:
    if score < 0.35:
        return "负面"
    if score < 0.5:
        return "偏负面"
    if score < 0.65:
        return "中性"
    return "正面"


def sentiment_class(score: float) -> str:
    return "neg" if score < 0.5 else ("neu" if score < 0.65 else "pos")


CRAWL_COUNT_NAMES = {
    "new": "新增",
    "duplicate": "重复",
    "failed": "失败",
    "items": "条目",
    "dropped": "丢弃",
    "pages": "页面",
    "skipped_known": "跳过已存",
    "unreadable_time": "时间无法识别",
}


def crawl_count(key: str) -> str:
    return CRAWL_COUNT_NAMES.get(key, key)


def init_app(flask_app: Flask) -> None:
    filters: dict[str, Any] = {
        "bj": fmt_beijing,
        "bj_iso": iso_beijing,
        "grade_name": grade_name,
        "category_name": category_name,
        "pct": pct,
        "http_url": http_url,
        "sentiment_label": sentiment_label,
        "sentiment_class": sentiment_class,
        "ob_state": lambda s: OBLIGATION_STATES.get(s, s),
        "incident_status": lambda s: INCIDENT_STATUS.get(s, s),
        "commitment_status": lambda s: STATUS_NAMES.get(s, s),
        "role_name": lambda r: ROLES.get(r, r),
        "basis_name": lambda b: BASIS_NAMES.get(b, b),
        "crawl_count": crawl_count,
        "left": lambda seconds: humanize_delta(seconds) if seconds < 0 else f"剩余{humanize_delta(seconds)}",
    }
    flask_app.jinja_env.filters.update(filters)
    flask_app.jinja_env.globals.update(GRADES=GRADES, ROLES=ROLES)
