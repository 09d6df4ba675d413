"""Ledger files: the Excel workbook (two sheets) and the CSV tables."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from openpyxl import Workbook

from tracker.ledger import LedgerRow, ledger_commitments
from tracker.reports.ledger_columns import COMMITMENT_COLUMNS, LEDGER_COLUMNS
from tracker.reports.table import write_csv_table
from tracker.reports.xlsx_table import write_sheet

LEDGER_SHEET = "舆情回应台账"
COMMITMENT_SHEET = "承诺落实及公开情况"


def write_ledger_xlsx(rows: Sequence[LedgerRow], out: Path | BinaryIO, title: str = "") -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None  # a new workbook always has one sheet
    ws.title = LEDGER_SHEET
    write_sheet(ws, title or LEDGER_SHEET, LEDGER_COLUMNS, rows)
    commitments = wb.create_sheet(COMMITMENT_SHEET)
    write_sheet(commitments, COMMITMENT_SHEET, COMMITMENT_COLUMNS, ledger_commitments(rows))
    wb.save(out)


def write_ledger_csv(rows: Sequence[LedgerRow], out: Path | BinaryIO) -> None:
    write_csv_table(LEDGER_COLUMNS, rows, out)


def write_commitments_csv(rows: Sequence[LedgerRow], out: Path | BinaryIO) -> None:
    write_csv_table(COMMITMENT_COLUMNS, ledger_commitments(rows), out)
