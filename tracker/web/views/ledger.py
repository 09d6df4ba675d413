"""The ledger (舆情回应台账) with filters and downloads, the unit scorecards and the daily brief.

Numbers come from tracker.ledger and tracker.reports, formatted through the same column definitions as
the CLI exports, so the page, the Excel file and `yuqing export ledger` always agree. A unit user sees
and downloads only its own unit's ledger.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, BinaryIO
from urllib.parse import urlencode

from flask import Blueprint, abort, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from analysis.taxonomy import CATEGORIES, GRADE_ORDER, GRADES
from tracker.clock import to_beijing
from tracker.errors import UserError
from tracker.ledger import PERIOD_BASES, STATE_NAMES, LedgerFilters, LedgerRow, ledger_page, ledger_rows
from tracker.models import Unit
from tracker.reports.ledger_columns import LEDGER_COLUMNS
from tracker.reports.periods import beijing_midnight, parse_period
from tracker.reports.table import cell_text
from tracker.web.access import roles
from tracker.web.context import CurrentUser, db, now, require_user, yq
from tracker.web.views.dashboard import page_cache

bp = Blueprint("ledger", __name__)
PAGE_ROWS = 100
#: the columns the page shows (the file has all of them)
PAGE_COLUMNS = (
    "事件编号", "事件标题", "舆情分类", "研判等级", "责任单位", "时限事项", "截止时间", "完成时间",
    "用时（小时）", "回应形式", "状态", "承诺及落实情况",
)  # fmt: skip
REPORT_ROLES = ("admin", "duty", "reviewer")


def _day(name: str) -> date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise UserError(f"日期格式应为 YYYY-MM-DD，收到“{raw}”") from None


def _filters(u: CurrentUser) -> tuple[LedgerFilters, str]:
    """Filters from the query string, and a label for titles and file names."""
    a = request.args
    start: datetime | None
    end: datetime | None
    if a.get("period", "").strip():
        p = parse_period(a["period"])
        start, end, label = p.start, p.end, p.label
    else:
        first, last = _day("from"), _day("to")
        if first and last and last < first:
            raise UserError("结束日期不能早于开始日期")
        start = beijing_midnight(first) if first else None
        end = beijing_midnight(last + timedelta(days=1)) if last else None
        label = f"{first or '最早'}至{last or '最新'}" if (first or last) else "全部"
    unit_raw = a.get("unit", "").strip()
    unit_id = u.unit_id if u.role == "unit" else (int(unit_raw) if unit_raw.isdigit() else None)
    filters = LedgerFilters(
        start=start,
        end=end,
        basis=a.get("by", "start") or "start",
        unit_id=unit_id,
        category=a.get("category") or None,
        grade=a.get("grade") or None,
        states=tuple(s for s in a.getlist("state") if s),
    )
    return filters, label


def _options() -> dict[str, Any]:
    return {
        "units": list(db().execute(select(Unit.id, Unit.name).order_by(Unit.name))),
        "categories": CATEGORIES,
        "grades": [(g, GRADES[g]) for g in reversed(GRADE_ORDER)],
        "states": STATE_NAMES,
        "bases": PERIOD_BASES,
    }


LEDGER_TTL = 10.0


@bp.route("/ledger")
def index() -> ResponseReturnValue:
    u = require_user()
    try:
        filters, label = _filters(u)
        number = _page_number()
        # Shared for a few seconds like the dashboard (a user's own writes show at once): reviewers and
        # duty staff reload the same period; the downloads below always read afresh.
        page = page_cache().get_or(
            ("ledger", filters, number),
            LEDGER_TTL,
            lambda: ledger_page(db(), filters, PAGE_ROWS, (number - 1) * PAGE_ROWS),
            reader=u.id,
        )
    except UserError as exc:
        today = to_beijing(now()).date()
        html = render_template(
            "ledger.html", error=exc.message, rows=[], columns=[], total=0, today=today, **_options()
        )
        return html, 400
    columns = [c for c in LEDGER_COLUMNS if c.header in PAGE_COLUMNS]
    table = [(r, [cell_text(c.get(r), c.kind) for c in columns]) for r in page.rows]
    pages = max(1, -(-page.total // PAGE_ROWS))
    if number > pages:
        abort(404)
    kept = [(k, v) for k, v in request.args.items(multi=True) if k != "page"]  # the filters, repeats kept
    return render_template(
        "ledger.html",
        rows=table,
        columns=columns,
        total=page.total,
        incidents=page.incidents,
        first=(number - 1) * PAGE_ROWS + 1,
        page=number,
        pages=pages,
        page_url=lambda n: f"{url_for('ledger.index')}?{urlencode([*kept, ('page', n)])}",
        label=label,
        query=urlencode(kept),
        today=to_beijing(now()).date(),
        **_options(),
    )


def _page_number() -> int:
    raw = request.args.get("page", "1").strip() or "1"
    if not raw.isdigit() or int(raw) < 1:
        raise UserError(f"页码应为正整数，收到“{raw}”")
    return int(raw)


def _download(writer: Callable[[BinaryIO], None], name: str, mimetype: str) -> ResponseReturnValue:
    buf = io.BytesIO()
    writer(buf)
    buf.seek(0)
    return send_file(buf, mimetype=mimetype, as_attachment=True, download_name=name)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _rows_or_400() -> tuple[list[LedgerRow], str, LedgerFilters]:
    try:
        filters, label = _filters(require_user())
        return ledger_rows(db(), filters), label, filters
    except UserError as exc:
        abort(400, description=exc.message)


@bp.route("/ledger/export.xlsx")
def export_xlsx() -> ResponseReturnValue:
    from tracker.ledger import write_xlsx

    rows, label, f = _rows_or_400()
    unit = db().get(Unit, f.unit_id) if f.unit_id else None
    title = f"舆情回应台账（{label}，按{PERIOD_BASES[f.basis]}{'；' + unit.name if unit else ''}）"
    return _download(lambda out: write_xlsx(rows, out, title), f"舆情回应台账_{label}.xlsx", XLSX)


@bp.route("/ledger/export.csv")
def export_csv() -> ResponseReturnValue:
    from tracker.ledger import write_commitments_csv, write_csv

    rows, label, _ = _rows_or_400()
    if request.args.get("commitments") == "1":
        return _download(
            lambda out: write_commitments_csv(rows, out), f"承诺落实及公开情况_{label}.csv", "text/csv"
        )
    return _download(lambda out: write_csv(rows, out), f"舆情回应台账_{label}.csv", "text/csv")


@bp.route("/reports/units")
@roles(*REPORT_ROLES)
def units_report() -> ResponseReturnValue:
    from tracker.reports import scorecard_files
    from tracker.reports.scorecards import scorecard_report

    raw = request.args.get("period", "").strip() or str(to_beijing(now()).year)
    try:
        period = parse_period(raw)
    except UserError as exc:
        abort(400, description=exc.message)
    report = scorecard_report(db(), period, now())
    fmt = request.args.get("format", "")
    if fmt in ("docx", "xlsx"):
        writer = scorecard_files.write_docx if fmt == "docx" else scorecard_files.write_xlsx
        name = f"单位考核_{period.label}.{fmt}"
        return _download(lambda out: writer(report, out), name, DOCX if fmt == "docx" else XLSX)
    return render_template(
        "report_units.html",
        report=report,
        period=period,
        raw=raw,
        title=scorecard_files.title(report),
        notes=scorecard_files.notes(report),
        groups=(
            ("一、回应时限", scorecard_files.OBLIGATION_COLUMNS),
            ("二、承诺兑现", scorecard_files.COMMITMENT_COLUMNS),
        ),
        cards=[*report.units, report.total],
        cell_text=cell_text,
    )


@bp.route("/reports/daily")
@roles(*REPORT_ROLES)
def daily_report() -> ResponseReturnValue:
    from tracker.reports import daily_brief, write_docx
    from tracker.reports.brief_render import sections

    t = now()
    try:
        day = _day("date") or to_beijing(t).date()
    except UserError as exc:
        abort(400, description=exc.message)
    brief = daily_brief(db(), yq().settings, day, t)
    if request.args.get("format") == "docx":
        return _download(lambda out: write_docx(brief, out), f"每日舆情简报_{day.isoformat()}.docx", DOCX)
    return render_template("report_daily.html", brief=brief, sections=sections(brief), day=day)
