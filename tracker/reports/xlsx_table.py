"""Write a ``Column`` table to an openpyxl worksheet the way reviewers expect: a title row, a bold
frozen header with an autofilter, column widths, wrapped long text, naive Beijing datetimes with a
number format, percentages as numbers, clickable http(s) links, and no formulas from data."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import TypeVar

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from tracker.reports.table import CellValue, Column, hours, naive_beijing

T = TypeVar("T")
HEADER_ROW = 2  # row 1 is the title
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
_NUMBER_FORMATS = {"percent": "0.0%", "hours": "0.00", "float": "0.00", "int": "0"}
_MAX_CELL = 32767  # Excel's limit on characters in one cell
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def write_sheet(ws: Worksheet, title: str, columns: Sequence[Column[T]], items: Iterable[T]) -> int:
    """Fill ``ws`` (title row, header, data). Returns the number of data rows written."""
    last_col = get_column_letter(len(columns))
    ws.cell(row=1, column=1, value=_clean(title)).font = Font(bold=True, size=14)
    ws.merge_cells(f"A1:{last_col}1")
    for i, col in enumerate(columns, start=1):
        cell = ws.cell(row=HEADER_ROW, column=i, value=col.header)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        ws.column_dimensions[get_column_letter(i)].width = col.width
    n = 0
    for n, item in enumerate(items, start=1):
        for i, col in enumerate(columns, start=1):
            _put(ws, HEADER_ROW + n, i, col, col.get(item))
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=1).coordinate
    ws.auto_filter.ref = f"A{HEADER_ROW}:{last_col}{HEADER_ROW + max(n, 1)}"
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    return n


def _put(ws: Worksheet, row: int, column: int, col: Column[T], value: CellValue) -> None:
    cell = ws.cell(row=row, column=column)
    cell.alignment = Alignment(wrap_text=col.kind in ("wrap", "text", "link"), vertical="top")
    if value is None or value == "":
        return
    if isinstance(value, datetime):
        cell.value = naive_beijing(value)
        cell.number_format = DATETIME_FORMAT
        return
    if isinstance(value, timedelta):
        value = hours(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        cell.value = value
        cell.number_format = _NUMBER_FORMATS.get(col.kind, "General")
        return
    text = _clean(str(value))
    cell.value = text
    cell.data_type = "s"  # openpyxl turns a string starting with "=" into a formula otherwise
    if col.kind == "link" and text.startswith(("http://", "https://")):
        cell.hyperlink = text
        cell.font = Font(color="0563C1", underline="single")


def _clean(text: str) -> str:
    """openpyxl refuses control characters (scraped titles may carry them); Excel caps cell length."""
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    if len(text) > _MAX_CELL:
        text = text[: _MAX_CELL - 10] + "…（已截断）"
    return text
