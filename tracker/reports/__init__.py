"""Reports built on the ledger: unit scorecards (单位考核) and the daily brief (每日舆情简报).

The public API for the CLI and the web UI::

    parse_period("2026H1") -> Period(start, end, label)
    unit_scorecards(session, period, now) -> list[Scorecard]      (scorecard_report adds the total)
    daily_brief(session, settings, day, now) -> Brief
    write_docx(brief, out)      render_html(brief) -> str

Names are imported on first use: the ledger imports this package's row types, and a CSV export should
not pay for loading python-docx.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tracker.reports.brief import Brief, daily_brief
    from tracker.reports.brief_docx import write_docx
    from tracker.reports.brief_render import render_html
    from tracker.reports.periods import Period, day_span, parse_period
    from tracker.reports.scorecards import Scorecard, ScorecardReport, scorecard_report, unit_scorecards

_WHERE = {
    "Brief": "brief",
    "daily_brief": "brief",
    "write_docx": "brief_docx",
    "render_html": "brief_render",
    "Period": "periods",
    "day_span": "periods",
    "parse_period": "periods",
    "Scorecard": "scorecards",
    "ScorecardReport": "scorecards",
    "scorecard_report": "scorecards",
    "unit_scorecards": "scorecards",
}
__all__ = [
    "Brief",
    "Period",
    "Scorecard",
    "ScorecardReport",
    "daily_brief",
    "day_span",
    "parse_period",
    "render_html",
    "scorecard_report",
    "unit_scorecards",
    "write_docx",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'tracker.reports' has no attribute {name!r}")
    return getattr(importlib.import_module(f"tracker.reports.{_WHERE[name]}"), name)
