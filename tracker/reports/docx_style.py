"""Word documents in the usual look of official documents (GB/T 9704): 方正小标宋简体 title, 黑体
headings, 仿宋_GB2312 body.

python-docx's ``font.name`` sets only the Latin faces; Chinese text would fall back to the theme's East
Asian font. So every run (and the styles) gets ``w:eastAsia`` explicitly (see PITFALLS).
"""

from __future__ import annotations

from collections.abc import Sequence

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor
from docx.table import Table
from docx.text.run import Run

BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
TITLE_FONT = "方正小标宋简体"
LATIN_FONT = "Times New Roman"
BODY_PT = 16  # 三号
TABLE_PT = 10.5  # 五号: tables of numbers must fit the page
TITLE_PT = 22  # 二号


def set_font(run: Run, east_asian: str, size_pt: float, bold: bool = False) -> None:
    run.font.name = LATIN_FONT
    run.font.size = Pt(size_pt)
    run.font.bold = bold
    run.font.color.rgb = RGBColor(0, 0, 0)
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), east_asian)


def new_document(landscape: bool = False) -> DocxDocument:
    doc = Document()
    for style_name, face in (("Normal", BODY_FONT), ("Title", TITLE_FONT), ("Heading 1", HEADING_FONT)):
        style = doc.styles[style_name]
        style.font.name = LATIN_FONT
        rfonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        rfonts.set(qn("w:eastAsia"), face)
        for theme_attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            rfonts.attrib.pop(qn(theme_attr), None)  # a theme face would otherwise win in some viewers
    if landscape:
        section = doc.sections[0]
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width
    return doc


def add_title(doc: DocxDocument, text: str) -> None:
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    set_font(p.add_run(text), TITLE_FONT, TITLE_PT)


def add_heading(doc: DocxDocument, text: str) -> None:
    p = doc.add_heading(level=1)
    set_font(p.add_run(text), HEADING_FONT, BODY_PT)


def add_paragraph(doc: DocxDocument, text: str, size_pt: float = BODY_PT, center: bool = False) -> None:
    p = doc.add_paragraph()
    if center:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    set_font(p.add_run(text), BODY_FONT, size_pt)


def add_table(doc: DocxDocument, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> Table:
    """A grid table: bold header row, body in 仿宋 at table size."""
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        set_font(cell.paragraphs[0].add_run(text), HEADING_FONT, TABLE_PT)
    for values in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, values, strict=True):
            set_font(cell.paragraphs[0].add_run(text), BODY_FONT, TABLE_PT)
    return table
