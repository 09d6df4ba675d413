"""Unit scorecards as a terminal table, CSV, an Excel sheet or a Word document."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from openpyxl import Workbook

from tracker.clock import fmt_beijing
from tracker.reports.docx_style import add_heading, add_paragraph, add_table, add_title, new_document
from tracker.reports.scorecards import Scorecard, ScorecardReport
from tracker.reports.table import Column, cell_text, hours, text_table, write_csv_table
from tracker.reports.xlsx_table import write_sheet

SHEET = "单位考核"

OBLIGATION_COLUMNS: tuple[Column[Scorecard], ...] = (
    Column("单位", lambda s: s.unit_name, "text", 20),
    Column("应办时限", lambda s: s.due, "int", 9),
    Column("按时完成", lambda s: s.on_time, "int", 9),
    Column("逾期完成", lambda s: s.late, "int", 9),
    Column("超时未办", lambda s: s.breached, "int", 9),
    Column("已豁免", lambda s: s.waived, "int", 8),
    Column("待办", lambda s: s.pending, "int", 8),
    Column("按时率", lambda s: s.on_time_rate, "percent", 9),
    Column("中位用时（小时）", lambda s: hours(s.median_response), "hours", 10),
)
COMMITMENT_COLUMNS: tuple[Column[Scorecard], ...] = (
    Column("单位", lambda s: s.unit_name, "text", 20),
    Column("新作出承诺", lambda s: s.commitments_made, "int", 10),
    Column("其中已取消", lambda s: s.commitments_cancelled, "int", 10),
    Column("到期承诺", lambda s: s.commitments_due, "int", 9),
    Column("按期兑现", lambda s: s.commitments_on_time, "int", 9),
    Column("逾期兑现", lambda s: s.commitments_late, "int", 9),
    Column("逾期未兑现", lambda s: s.commitments_overdue, "int", 10),
    Column("未到期", lambda s: s.commitments_pending, "int", 8),
    Column("兑现并公开", lambda s: s.commitments_disclosed, "int", 10),
    Column("承诺按期兑现率", lambda s: s.commitment_on_time_rate, "percent", 12),
)
#: the CSV and the workbook carry both groups in one table (the unit column once)
ALL_COLUMNS: tuple[Column[Scorecard], ...] = OBLIGATION_COLUMNS + COMMITMENT_COLUMNS[1:]


def title(report: ScorecardReport) -> str:
    return f"单位考核（{report.period.name}，{report.period.span_text}）"


def _rows(report: ScorecardReport) -> list[Scorecard]:
    return [*report.units, report.total]


def notes(report: ScorecardReport) -> list[str]:
    out = [
        f"统计口径：截止时间在考核周期内的回应时限、承诺期限在周期内的承诺；生成时间 {fmt_beijing(report.generated_at)}。",
        "按时率 = 按时完成 ÷（按时完成 + 逾期完成 + 超时未办）；豁免与待办不计入分母。",
    ]
    if report.unswept:
        out.append(
            f"注意：有 {report.unswept} 项时限或承诺已过期限但仍为待办，巡检尚未判定；"
            "请先运行 yuqing sweep 再导出。"
        )
    return out


def render_text(report: ScorecardReport) -> str:
    parts = [
        title(report),
        "",
        "一、回应时限",
        text_table(OBLIGATION_COLUMNS, _rows(report)),
        "",
        "二、承诺落实",
        text_table(COMMITMENT_COLUMNS, _rows(report)),
        "",
        *notes(report),
    ]
    return "\n".join(parts) + "\n"


def write_csv(report: ScorecardReport, out: Path | BinaryIO) -> None:
    write_csv_table(ALL_COLUMNS, _rows(report), out)


def write_xlsx(report: ScorecardReport, out: Path | BinaryIO) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = SHEET
    n = write_sheet(ws, title(report), ALL_COLUMNS, _rows(report))
    for i, note in enumerate(notes(report), start=n + 4):
        ws.cell(row=i, column=1, value=note)
    wb.save(out)


def write_docx(report: ScorecardReport, out: Path | BinaryIO) -> None:
    doc = new_document(landscape=True)
    add_title(doc, title(report))
    for heading, columns in (("一、回应时限", OBLIGATION_COLUMNS), ("二、承诺落实", COMMITMENT_COLUMNS)):
        add_heading(doc, heading)
        add_table(
            doc,
            [c.header for c in columns],
            [[cell_text(c.get(s), c.kind) for c in columns] for s in _rows(report)],
        )
    add_heading(doc, "三、说明")
    for note in notes(report):
        add_paragraph(doc, note)
    doc.save(str(out) if isinstance(out, Path) else out)
