"""Reading form fields: Beijing-time inputs, ids, checkboxes. Bad input raises UserError (Chinese), which
the view shows next to the form while keeping what the user typed."""

from __future__ import annotations

from datetime import datetime

from flask import abort, request

from tracker.clock import ensure_utc, to_beijing
from tracker.errors import UserError

_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M")


def parse_local_datetime(text: str, label: str) -> datetime:
    """A Beijing wall-clock time from a datetime-local input (or typed by hand in an old browser)."""
    value = text.strip()
    if not value:
        raise UserError(f"请填写{label}")
    for fmt in _FORMATS:
        try:
            return ensure_utc(datetime.strptime(value, fmt))
        except ValueError:
            continue
    raise UserError(f"无法识别的{label}“{value}”，请按 2026-11-23 14:05 的格式填写（北京时间）")


def optional_local_datetime(text: str, label: str) -> datetime | None:
    return parse_local_datetime(text, label) if text.strip() else None


def local_input(dt: datetime | None) -> str:
    """The value attribute of a datetime-local input, in Beijing time."""
    return "" if dt is None else to_beijing(dt).strftime("%Y-%m-%dT%H:%M")


def int_field(name: str) -> int | None:
    raw = request.form.get(name, "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise UserError("提交的编号无效") from None


def int_list(name: str) -> list[int]:
    out = []
    for raw in request.form.getlist(name):
        for part in raw.replace("，", ",").replace(" ", ",").split(","):
            if part.strip():
                try:
                    out.append(int(part.strip().lstrip("#")))
                except ValueError:
                    raise UserError(f"“{part.strip()}”不是有效的编号") from None
    return out


def page_arg() -> int:
    try:
        page = int(request.args.get("page", "1"))
    except ValueError:
        abort(400)
    return max(1, min(page, 10000))
