"""The daily brief as a Word document (official-document fonts, see docx_style)."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from tracker.clock import fmt_beijing
from tracker.reports.brief import Brief
from tracker.reports.brief_render import sections
from tracker.reports.docx_style import add_heading, add_paragraph, add_table, add_title, new_document

META_PT = 12


def write_docx(brief: Brief, out: Path | BinaryIO) -> None:
    doc = new_document(landscape=True)  # six-column tables need the width
    add_title(doc, brief.title)
    add_paragraph(doc, f"生成时间：{fmt_beijing(brief.generated_at)}（北京时间）", META_PT, center=True)
    add_heading(doc, "一、总体情况")
    add_paragraph(doc, brief.summary())
    for section in sections(brief):
        add_heading(doc, section.heading)
        if not section.rows:
            add_paragraph(doc, section.empty)
            continue
        add_table(doc, section.headers, [[text for text, _link in row] for row in section.rows])
    doc.save(str(out) if isinstance(out, Path) else out)
