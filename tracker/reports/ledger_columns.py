"""The columns of the ledger (舆情回应台账) and of its commitments sheet (承诺落实及公开情况).

One definition for the workbook, the CSV and the web ledger page: render a cell with
``tracker.reports.table.cell_text(column.get(row), column.kind)``.
"""

from __future__ import annotations

from tracker.ledger import CommitmentEntry, LedgerRow
from tracker.reports.table import CellValue, Column, hours


def _effect(row: LedgerRow, field: str) -> CellValue:
    return None if row.effect is None else getattr(row.effect, field)


def _consultations(row: LedgerRow) -> str:
    if not row.consultations:
        return ""
    return f"共{len(row.consultations)}次\n" + "\n".join(row.consultations)


def _commitments(row: LedgerRow) -> str:
    return "\n".join(f"{i}. {c.summary()}" for i, c in enumerate(row.commitments, start=1))


LEDGER_COLUMNS: tuple[Column[LedgerRow], ...] = (
    Column("事件编号", lambda r: r.incident_id, "int", 9),
    Column("事件标题", lambda r: r.incident_title, "wrap", 32),
    Column("舆情分类", lambda r: r.category_name, "text", 12),
    Column("研判等级", lambda r: r.grade_name, "text", 12),
    Column("责任单位", lambda r: r.unit_name, "text", 16),
    Column("分类处置", lambda r: r.disposition, "text", 12),
    Column("会商情况", _consultations, "wrap", 30),
    Column("时限事项", lambda r: r.kind, "text", 14),
    Column("适用规则", lambda r: r.rule, "text", 16),
    Column("时限", lambda r: r.within_label, "text", 10),
    Column("起算依据", lambda r: r.basis_name, "text", 8),
    Column("起算时间", lambda r: r.start_at, "datetime", 20),
    Column("截止时间", lambda r: r.due_at, "datetime", 20),
    Column("截止时间暂定", lambda r: "暂定" if r.provisional else "", "text", 8),
    Column("完成时间", lambda r: r.met_at, "datetime", 20),
    Column("用时（小时）", lambda r: hours(r.response_time), "hours", 10),
    Column("回应形式", lambda r: r.response_form, "text", 10),
    Column("回应链接", lambda r: r.response_url, "link", 30),
    Column("状态", lambda r: r.state_name, "wrap", 16),
    Column("超时记录时间", lambda r: r.breached_at, "datetime", 20),
    Column("回应前24小时帖子数", lambda r: _effect(r, "before_posts"), "int", 10),
    Column("回应前24小时负面占比", lambda r: _effect(r, "before_negative"), "percent", 10),
    Column("回应后24小时帖子数", lambda r: _effect(r, "after_posts"), "int", 10),
    Column("回应后24小时负面占比", lambda r: _effect(r, "after_negative"), "percent", 10),
    Column("承诺及落实情况", _commitments, "wrap", 48),
    Column("时限编号", lambda r: r.obligation_id, "int", 9),
)


def _timing(c: CommitmentEntry) -> str:
    return {True: "按期", False: "逾期", None: ""}[c.kept_on_time]


COMMITMENT_COLUMNS: tuple[Column[CommitmentEntry], ...] = (
    Column("事件编号", lambda c: c.incident_id, "int", 9),
    Column("事件标题", lambda c: c.incident_title, "wrap", 30),
    Column("责任单位", lambda c: c.unit_name, "text", 16),
    Column("承诺内容", lambda c: c.content, "wrap", 40),
    Column("承诺时间", lambda c: c.promised_at, "datetime", 20),
    Column("承诺期限", lambda c: c.due_at, "datetime", 20),
    Column(
        "期限说明",
        lambda c: ("暂定" if c.provisional else "") + ("定期复查" if c.periodic else ""),
        "text",
        10,
    ),
    Column("状态", lambda c: c.status_name, "text", 8),
    Column("兑现时间", lambda c: c.fulfilled_at, "datetime", 20),
    Column("是否按期", _timing, "text", 8),
    Column("佐证链接", lambda c: c.evidence_url, "link", 30),
    Column("佐证说明", lambda c: c.evidence_note, "wrap", 30),
    Column("是否公开", lambda c: "已公开" if c.disclosed_url else "未公开", "text", 8),
    Column("公开链接", lambda c: c.disclosed_url, "link", 30),
    Column("承诺编号", lambda c: c.id, "int", 9),
)
