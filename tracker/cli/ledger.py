"""``yuqing export ledger`` (舆情回应台账), ``yuqing report units`` (单位考核), ``yuqing report daily``
(每日舆情简报). Thin wrappers: the numbers come from ``tracker.ledger`` and ``tracker.reports``, the same
functions the web pages call.

    yuqing export ledger --from 2026-01-01 --to 2026-06-30 --format xlsx --out 台账.xlsx
    yuqing report units --period 2026H1 --format xlsx
    yuqing report daily --date 2026-11-23 --format docx
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis.taxonomy import CATEGORIES, grade_code
from tracker.app import App
from tracker.clock import BEIJING
from tracker.errors import UserError
from tracker.ledger import PERIOD_BASES, STATE_BY_NAME, STATE_NAMES, LedgerFilters
from tracker.models import Unit
from tracker.reports.periods import Period, beijing_midnight, parse_period


def register(sub: Any) -> None:
    export = sub.add_parser("export", help="导出数据").add_subparsers(dest="what", metavar="对象")
    p = export.add_parser("ledger", help="导出舆情回应台账（每项回应时限一行）为 Excel 或 CSV")
    p.add_argument(
        "--from", dest="date_from", metavar="YYYY-MM-DD", help="开始日期 YYYY-MM-DD（北京时间，含当日）"
    )
    p.add_argument(
        "--to", dest="date_to", metavar="YYYY-MM-DD", help="结束日期 YYYY-MM-DD（北京时间，含当日）"
    )
    p.add_argument("--period", help="考核周期，代替 --from/--to：2026、2026H1、2026Q3、2026-11")
    p.add_argument(
        "--by",
        choices=list(PERIOD_BASES),
        default="start",
        help="日期范围按哪个时间筛选：start 时限起算时间（默认）、first_post 事件首发时间、due 截止时间",
    )
    p.add_argument("--format", choices=["xlsx", "csv"], default="xlsx", help="文件格式（默认 xlsx）")
    p.add_argument("--out", help="输出文件（默认按日期命名，写在当前目录；CSV 可用 - 输出到标准输出）")
    p.add_argument("--commitments", action="store_true", help="CSV 时改为导出承诺落实及公开情况表")
    p.add_argument("--unit", help="责任单位名称或编号")
    p.add_argument("--category", help="舆情分类（代码或名称，如 工资拖欠）")
    p.add_argument("--grade", help="等级：一般/较大/重大/特别重大 或 IV/III/II/I")
    p.add_argument("--state", help="状态，可用逗号分隔多个：待办、按时完成、逾期完成、已超时、已豁免")
    p.set_defaults(func=cmd_export_ledger)

    report = sub.add_parser("report", help="报表").add_subparsers(dest="what", metavar="报表")
    p = report.add_parser("units", help="单位考核：按时率、超时、中位用时、承诺兑现")
    p.add_argument("--period", required=True, help="考核周期：2026、2026H1、2026Q3、2026-11")
    p.add_argument("--format", choices=["text", "xlsx", "docx", "csv"], default="text")
    p.add_argument("--out", help="输出文件（默认 单位考核_周期.扩展名）")
    p.set_defaults(func=cmd_report_units)

    p = report.add_parser("daily", help="每日舆情简报（Word 或网页）")
    p.add_argument("--date", metavar="YYYY-MM-DD", help="日期 YYYY-MM-DD（北京时间，默认今天）")
    p.add_argument("--format", choices=["docx", "html"], default="docx")
    p.add_argument("--out", help="输出文件（默认 每日舆情简报_日期.扩展名；html 可用 - 输出到标准输出）")
    p.set_defaults(func=cmd_report_daily)


def _app(args: argparse.Namespace) -> App:
    from tracker.cli.core import app_from_args

    return app_from_args(args)


def parse_day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"{option} 日期格式应为 YYYY-MM-DD，收到“{text}”") from None


def _range(args: argparse.Namespace) -> tuple[datetime | None, datetime | None, str]:
    """(start, end, label) of the export; ``--to`` is inclusive (the whole Beijing day)."""
    if args.period:
        if args.date_from or args.date_to:
            raise UserError("--period 与 --from/--to 不能同时使用")
        p = parse_period(args.period)
        return p.start, p.end, p.label
    first = parse_day(args.date_from, "--from") if args.date_from else None
    last = parse_day(args.date_to, "--to") if args.date_to else None
    if first and last and last < first:
        raise UserError("--to 不能早于 --from")
    start = beijing_midnight(first) if first else None
    end = beijing_midnight(last + timedelta(days=1)) if last else None
    label = f"{first or '最早'}至{last or '最新'}" if (first or last) else "全部"
    return start, end, label


def _unit_id(session: Session, value: str | None) -> tuple[int | None, str]:
    if not value:
        return None, ""
    unit = session.scalar(select(Unit).where(Unit.name == value.strip()))
    if unit is None and value.strip().isdigit():
        unit = session.get(Unit, int(value.strip()))
    if unit is None:
        names = "、".join(session.scalars(select(Unit.name).order_by(Unit.id)).all()) or "（尚无单位）"
        raise UserError(f"未找到单位“{value}”。已有单位：{names}")
    return unit.id, unit.name


def _category(value: str | None) -> str | None:
    if not value:
        return None
    if value in CATEGORIES:
        return value
    by_name = {name: code for code, name in CATEGORIES.items()}
    if value in by_name:
        return by_name[value]
    raise UserError(f"未知的舆情分类“{value}”（可用：{'、'.join(CATEGORIES.values())}）")


def _states(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    out = []
    for part in value.replace("，", ",").split(","):
        part = part.strip()
        code = part if part in STATE_NAMES else STATE_BY_NAME.get(part)
        if code is None:
            raise UserError(f"未知的状态“{part}”（可用：{'、'.join(STATE_NAMES.values())}）")
        out.append(code)
    return tuple(out)


def _grade(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return grade_code(value.strip())
    except ValueError as exc:
        raise UserError(str(exc)) from None


def write_file(out: Path, writer: Callable[[BinaryIO], None]) -> None:
    """Write to a temporary file next to ``out`` and rename: a failed export never leaves half a file."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".yuqing-", suffix=out.suffix, dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            writer(f)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _emit(out: str | None, default: str, writer: Callable[[BinaryIO], None]) -> str:
    if out == "-":
        writer(sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return "标准输出"
    path = Path(out or default)
    write_file(path, writer)
    return str(path)


def _describe(args: argparse.Namespace, label: str, unit_name: str) -> str:
    """The title row names every filter, so a printed sheet cannot be mistaken for the whole ledger."""
    parts = [f"{label}，按{PERIOD_BASES[args.by]}"]
    for name, value in (
        ("单位", unit_name),
        ("分类", args.category),
        ("等级", args.grade),
        ("状态", args.state),
    ):
        if value:
            parts.append(f"{name}：{value}")
    return "；".join(parts)


def cmd_export_ledger(args: argparse.Namespace) -> int:
    from tracker.ledger import ledger_rows, write_commitments_csv, write_csv, write_xlsx

    start, end, label = _range(args)
    app = _app(args)
    with app.sessions() as session:
        unit_id, unit_name = _unit_id(session, args.unit)
        filters = LedgerFilters(
            start=start,
            end=end,
            basis=args.by,
            unit_id=unit_id,
            category=_category(args.category),
            grade=_grade(args.grade),
            states=_states(args.state),
        )
        rows = ledger_rows(session, filters)
    if args.out == "-" and args.format == "xlsx":
        raise UserError("Excel 文件不能输出到标准输出，请用 --out 指定文件")
    title = f"舆情回应台账（{_describe(args, label, unit_name)}）"
    default = f"舆情回应台账_{label}.{args.format}"
    if args.format == "xlsx":
        where = _emit(args.out, default, lambda f: write_xlsx(rows, f, title))
    elif args.commitments:
        where = _emit(args.out, f"承诺落实及公开情况_{label}.csv", lambda f: write_commitments_csv(rows, f))
    else:
        where = _emit(args.out, default, lambda f: write_csv(rows, f))
    incidents = len({r.incident_id for r in rows})
    commitments = len({c.id for r in rows for c in r.commitments})
    print(
        f"已导出 {len(rows)} 项回应时限（{incidents} 个事件，{commitments} 项承诺）到 {where}",
        file=sys.stderr,
    )
    return 0


def cmd_report_units(args: argparse.Namespace) -> int:
    from tracker.reports import scorecard_files
    from tracker.reports.scorecards import scorecard_report

    period: Period = parse_period(args.period)
    app = _app(args)
    with app.sessions() as session:
        report = scorecard_report(session, period, app.clock.now())
    if args.format == "text":
        sys.stdout.write(scorecard_files.render_text(report))
        return 0
    writer = {
        "xlsx": scorecard_files.write_xlsx,
        "docx": scorecard_files.write_docx,
        "csv": scorecard_files.write_csv,
    }[args.format]
    where = _emit(args.out, f"单位考核_{period.label}.{args.format}", lambda f: writer(report, f))
    print(f"已生成 {period.name} 单位考核（{len(report.units)} 个单位）：{where}", file=sys.stderr)
    if report.unswept:
        print(f"注意：有 {report.unswept} 项已过期限但巡检尚未判定，请先运行 yuqing sweep", file=sys.stderr)
    return 0


def cmd_report_daily(args: argparse.Namespace) -> int:
    from tracker.reports import daily_brief, render_html, write_docx

    app = _app(args)
    now = app.clock.now()
    day = parse_day(args.date, "--date") if args.date else now.astimezone(BEIJING).date()
    with app.sessions() as session:
        brief = daily_brief(session, app.settings, day, now)
    default = f"每日舆情简报_{day.isoformat()}.{args.format}"
    if args.format == "html":
        page = render_html(brief).encode("utf-8")

        def write_page(f: BinaryIO) -> None:
            f.write(page)

        where = _emit(args.out, default, write_page)
    else:
        where = _emit(args.out, default, lambda f: write_docx(brief, f))
    print(f"已生成 {brief.title}：{where}", file=sys.stderr)
    return 0
