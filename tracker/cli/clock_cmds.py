"""``yuqing deadline``: the deadline engine's answer for a start time and a window.

    yuqing deadline --start 2026-09-28T10:00 --within 3d
    {"due": "2026-10-09T00:00:00+08:00", "provisional": false}

Users check a deadline with it before trusting the ledger, and tests check the engine with it.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime, time

from tracker.deadlines import BEIJING, MIDNIGHT, compute_due, parse_office_close
from tracker.durations import DurationError, parse_within
from tracker.errors import UserError
from tracker.workcal import WorkCalendar


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "deadline",
        help="计算回应期限（按民法典期间规则与工作日历）",
        description="按民法典第二百零一至二百零三条与工作日历（含调休）计算截止时间，输出 JSON。",
    )
    p.add_argument(
        "--start", required=True, help="起算时间，ISO 8601；不带时区时按北京时间，例如 2026-09-28T10:00"
    )
    p.add_argument("--within", required=True, help="期限：90m、5h、48h、3d、5wd，或 5小时、3天、5个工作日")
    p.add_argument("--office-close", help="办公截止时间 HH:MM（默认 24:00，即最后一日结束）")
    p.set_defaults(func=handle_deadline)

    cal = sub.add_parser("calendar", help="工作日历：调休与节假日覆盖设置")
    calsub = cal.add_subparsers(dest="calendar_command", metavar="操作")
    c = calsub.add_parser("set", help="把某天设为工作日(on)或休息日(off)")
    c.add_argument("day", help="日期，如 2026-11-23")
    c.add_argument("state", choices=["on", "off"], help="on=上班，off=休息")
    c.add_argument("--note", default="", help="说明，如 依据某某通知")
    c.set_defaults(func=handle_calendar_set)
    c = calsub.add_parser("import", help="导入国务院办公厅节假日安排（每行：日期[..日期] off|on 说明）")
    c.add_argument("file", help="通知文件（文本/CSV/TOML，格式见 docs/deadlines.md）")
    c.add_argument("--note", default="", help="来源说明，如 国办发明电〔2026〕X号")
    c.set_defaults(func=handle_calendar_import)
    c = calsub.add_parser("list", help="列出覆盖设置与已导入的年份")
    c.set_defaults(func=handle_calendar_list)


def load_calendar_for(args: argparse.Namespace) -> WorkCalendar:
    """The application's calendar: chinese_calendar plus the database's overrides and imported notices.

    Without a database (no config, or never initialised) the package calendar alone answers.
    """
    from sqlalchemy import inspect

    from tracker.calendar_store import load_calendar
    from tracker.cli.core import app_from_args
    from tracker.db import transaction

    app = app_from_args(args)
    if not inspect(app.engine).has_table("calendar_overrides"):
        return WorkCalendar()
    with transaction(app.sessions) as session:
        return load_calendar(session)


def handle_deadline(args: argparse.Namespace) -> int:
    start = parse_start(args.start)
    try:
        within = parse_within(args.within)
    except DurationError as exc:
        raise UserError(str(exc)) from exc
    office_close = _office_close(args.office_close)
    cal = load_calendar_for(args)
    try:
        result = compute_due(start, within, cal, office_close=office_close)
    except ValueError as exc:  # e.g. an override table with no working day for a year
        raise UserError(str(exc)) from exc
    due = result.due.astimezone(BEIJING).isoformat()
    print(json.dumps({"due": due, "provisional": result.provisional}, ensure_ascii=False))
    if result.provisional:
        print(
            "提示：期限涉及尚无节假日数据的年份，结果为暂定（按周一至周五及固定日期节日推算）；"
            "请导入国务院办公厅当年节假日安排通知（yuqing calendar import FILE）。",
            file=sys.stderr,
        )
    return 0


def parse_start(text: str) -> datetime:
    """ISO 8601; a time without an offset is Beijing time (the users' wall clock)."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"无法识别的起算时间“{text}”，应为 ISO 8601，例如 2026-09-28T10:00+08:00") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=BEIJING)
    return value


def _office_close(text: str | None) -> time:
    if text is None:
        return MIDNIGHT
    try:
        return parse_office_close(text)
    except ValueError as exc:
        raise UserError(str(exc)) from exc


def handle_calendar_set(args: argparse.Namespace) -> int:
    from tracker.audit import record
    from tracker.calendar_store import set_override
    from tracker.cli.core import app_from_args
    from tracker.db import transaction
    from tracker.migrate import upgrade

    try:
        day = date.fromisoformat(args.day)
    except ValueError:
        raise UserError(f"无法识别的日期“{args.day}”，应为 YYYY-MM-DD") from None
    app = app_from_args(args)
    upgrade(app.engine)
    with transaction(app.sessions) as session:
        set_override(session, day, args.state == "on", args.note)
        record(
            session,
            "命令行",
            "calendar.set",
            "calendar",
            None,
            {"day": day.isoformat(), "workday": args.state == "on", "note": args.note},
            app.clock.now(),
        )
    print(f"已设置 {day.isoformat()} 为{'工作日' if args.state == 'on' else '休息日'}")
    return 0


def handle_calendar_import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from tracker.audit import record
    from tracker.calendar_store import import_notice
    from tracker.cli.core import app_from_args
    from tracker.db import transaction
    from tracker.migrate import upgrade
    from tracker.workcal import NoticeError, parse_holiday_notice

    path = Path(args.file)
    if not path.exists():
        raise UserError(f"找不到文件 {path}")
    try:
        entries = parse_holiday_notice(path.read_text(encoding="utf-8"))
    except (NoticeError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}：{exc}") from None
    app = app_from_args(args)
    upgrade(app.engine)
    with transaction(app.sessions) as session:
        years = import_notice(session, entries, app.clock.now(), args.note or path.name)
        record(
            session,
            "命令行",
            "calendar.import",
            "calendar",
            None,
            {"file": path.name, "days": len(entries), "years": sorted(years)},
            app.clock.now(),
        )
    print(f"已导入 {len(entries)} 天的安排，{'、'.join(str(y) for y in sorted(years))} 年的期限不再是暂定值")
    return 0


def handle_calendar_list(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from tracker.cli.core import app_from_args
    from tracker.db import transaction
    from tracker.models import CalendarNotice, CalendarOverride

    app = app_from_args(args)
    with transaction(app.sessions) as session:
        years = [n.year for n in session.scalars(select(CalendarNotice).order_by(CalendarNotice.year))]
        rows = session.scalars(select(CalendarOverride).order_by(CalendarOverride.day)).all()
        print(
            "已导入通知的年份："
            + ("、".join(map(str, years)) or "无（2004–2026 年使用 chinese_calendar 内置数据）")
        )
        for r in rows:
            print(f"{r.day.isoformat()}  {'上班' if r.is_workday else '休息'}  {r.note}")
    return 0
