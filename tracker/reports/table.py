"""Tables shared by every export: a column says what it shows and how; xlsx, CSV, text and the web
page all format a cell through here, so the same value never reads two ways.

Times: Excel has no time zones, so workbooks get naive Beijing datetimes; text gets Beijing time with
seconds (an on-time/late judgement can turn on seconds).
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO, Generic, TypeVar

from tracker.clock import fmt_beijing, to_beijing

T = TypeVar("T")
CellValue = str | int | float | datetime | timedelta | None
#: text: one line; wrap: long text; int/float/hours/percent: numbers; datetime; link: a URL
KINDS = frozenset({"text", "wrap", "int", "float", "hours", "percent", "datetime", "link"})
#: a spreadsheet treats a cell starting with these as a formula: untrusted text (post titles) must not run
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column(Generic[T]):
    header: str
    get: Callable[[T], CellValue]
    kind: str = "text"
    width: int = 12  # Excel column width in characters (a CJK character is about 2)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")


def hours(value: timedelta | None) -> float | None:
    """A duration as hours with two decimals (what the ledger and scorecards show)."""
    return None if value is None else round(value.total_seconds() / 3600, 2)


def cell_text(value: CellValue, kind: str) -> str:
    """How a value reads as text (CSV, terminal, web)."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        return fmt_beijing(value, with_seconds=True)
    if isinstance(value, timedelta):
        return f"{hours(value):.2f}"
    if kind == "percent" and isinstance(value, int | float):
        return f"{value:.1%}"
    if kind == "hours" and isinstance(value, int | float):
        return f"{value:.2f}"
    return str(value)


def naive_beijing(value: datetime) -> datetime:
    """For Excel: Beijing wall time without tzinfo, whole seconds."""
    return to_beijing(value).replace(tzinfo=None, microsecond=0)


def safe_csv_text(text: str) -> str:
    """Neutralise a leading formula character (OWASP CSV injection): Excel then shows the text as is."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def row_texts(columns: Sequence[Column[T]], item: T) -> list[str]:
    return [cell_text(c.get(item), c.kind) for c in columns]


def write_csv_table(columns: Sequence[Column[T]], items: Iterable[T], out: Path | BinaryIO) -> None:
    """CSV in UTF-8 with BOM (Excel reads BOM-less UTF-8 as the local code page and garbles Chinese)."""
    if isinstance(out, Path):
        with out.open("wb") as f:
            _write_csv(columns, items, f)
    else:
        _write_csv(columns, items, out)


def _write_csv(columns: Sequence[Column[T]], items: Iterable[T], out: BinaryIO) -> None:
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    try:
        writer = csv.writer(text)
        writer.writerow([c.header for c in columns])
        for item in items:
            writer.writerow(
                [
                    safe_csv_text(v) if c.kind in ("text", "wrap") else v
                    for c, v in zip(columns, row_texts(columns, item), strict=True)
                ]
            )
        text.flush()
    finally:
        text.detach()  # leave the caller's stream open


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def text_table(columns: Sequence[Column[T]], items: Iterable[T]) -> str:
    """An aligned plain-text table for the terminal (CJK characters count as two columns)."""
    rows = [[c.header for c in columns], *(row_texts(columns, i) for i in items)]
    widths = [max(display_width(r[i]) for r in rows) for i in range(len(columns))]
    numeric = [c.kind in ("int", "float", "hours", "percent") for c in columns]
    lines = []
    for r in rows:
        cells = []
        for text, width, right in zip(r, widths, numeric, strict=True):
            pad = " " * (width - display_width(text))
            cells.append(pad + text if right else text + pad)
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)
