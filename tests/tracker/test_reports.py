"""Unit scorecards, periods, the daily brief (docx/html) and the CLI commands, on the hand-made world
of test_ledger.py. Every expected number below is counted by hand from that world."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from docx import Document
from docx.oxml.ns import qn

from tests.tracker.test_ledger import World, bj, build_world
from tracker.app import App
from tracker.cli import main
from tracker.errors import UserError
from tracker.reports import daily_brief, parse_period, render_html, scorecard_report, write_docx
from tracker.reports.scorecard_files import render_text
from tracker.reports.scorecards import Scorecard
from tracker.settings_schema import Settings


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    w = build_world(db_url)
    yield w
    w.engine.dispose()


def cards(world: World, period: str) -> dict[str, Scorecard]:
    with world.sessions() as s:
        report = scorecard_report(s, parse_period(period), world.now)
    return {c.unit_name: c for c in [*report.units, report.total]}


@pytest.mark.parametrize(
    ("text", "start", "end", "name"),
    [
        ("2026", "2026-01-01", "2027-01-01", "2026年"),
        ("2026H1", "2026-01-01", "2026-07-01", "2026年上半年"),
        ("2026h2", "2026-07-01", "2027-01-01", "2026年下半年"),
        ("2026Q3", "2026-07-01", "2026-10-01", "2026年第三季度"),
        ("2026Q4", "2026-10-01", "2027-01-01", "2026年第四季度"),
        ("2026-11", "2026-11-01", "2026-12-01", "2026年11月"),
        ("2026-12", "2026-12-01", "2027-01-01", "2026年12月"),
    ],
)
def test_parse_period(text: str, start: str, end: str, name: str) -> None:
    p = parse_period(text)
    assert (p.start, p.end, p.name) == (bj(start), bj(end), name)


@pytest.mark.parametrize("text", ["2026H3", "2026Q5", "2026-13", "26H1", "上半年", ""])
def test_bad_period_is_a_user_error(text: str) -> None:
    with pytest.raises(UserError):
        parse_period(text)


def test_scorecards_h1(world: World) -> None:
    c = cards(world, "2026H1")
    assert list(c) == ["教育局", "市场监管局", "住建局", "未指定单位", "合计"]
    edu, market, housing, none, total = c.values()
    # 教育局: O1 met after 4 h, O2 met late after 26 h (O2 has no unit: the incident's lead unit counts)
    assert (edu.due, edu.on_time, edu.late, edu.breached, edu.waived, edu.pending) == (2, 1, 1, 0, 0, 0)
    assert edu.on_time_rate == 0.5 and edu.median_response == timedelta(hours=15)
    # C1 on time and disclosed, C2 late; C4 cancelled (made, not due); C5 periodic (made, no due date)
    assert (edu.commitments_made, edu.commitments_cancelled, edu.commitments_due) == (4, 1, 2)
    assert (edu.commitments_on_time, edu.commitments_late, edu.commitments_overdue) == (1, 1, 0)
    assert edu.commitments_disclosed == 1 and edu.commitment_on_time_rate == 0.5
    # 市场监管局: O3 breached, O4 waived (out of the rate); C3 overdue, promised with no response
    assert (market.due, market.on_time, market.breached, market.waived) == (2, 0, 1, 1)
    assert market.on_time_rate == 0.0 and market.median_response is None
    assert (market.commitments_made, market.commitments_due, market.commitments_overdue) == (1, 1, 1)
    assert market.commitment_on_time_rate == 0.0
    assert housing.due == 0 and housing.on_time_rate is None and housing.commitment_on_time_rate is None
    assert (none.due, none.on_time, none.median_response) == (1, 1, timedelta(hours=24))
    assert (total.due, total.on_time, total.late, total.breached, total.waived) == (5, 2, 1, 1, 1)
    assert total.on_time_rate == 0.5 and total.median_response == timedelta(hours=24)  # median of 4, 24, 26
    assert (total.commitments_made, total.commitments_due, total.commitments_kept) == (5, 3, 2)
    assert total.commitment_on_time_rate == pytest.approx(1 / 3)


def test_scorecards_h2_count_pending_and_unswept(world: World) -> None:
    c = cards(world, "2026H2")
    edu, housing, total = c["教育局"], c["住建局"], c["合计"]
    # O6 met after 2 h; O8 not yet due; O9 past due but the sweep has not marked it
    assert (edu.due, edu.on_time, edu.pending, edu.pending_past_due) == (3, 1, 2, 1)
    assert edu.on_time_rate == 1.0 and edu.median_response == timedelta(hours=2)
    assert housing.due == 0  # O7 falls due in 2027
    assert (housing.commitments_due, housing.commitments_pending, housing.commitments_pending_past_due) == (
        1,
        1,
        1,
    )
    assert housing.commitment_on_time_rate is None
    assert "未指定单位" not in c
    with world.sessions() as s:
        assert scorecard_report(s, parse_period("2026H2"), world.now).unswept == 2
    # promised = the response's publication time: C5 was promised on 2 March although recorded in December;
    # C6 has no response, so its recording time (20 December) counts
    assert total.commitments_made == 1
    with world.sessions() as s:
        text = render_text(scorecard_report(s, parse_period("2026H2"), world.now))
    assert "有 2 项时限或承诺已过期限但仍为待办" in text


def test_brief_for_1_march(world: World) -> None:
    with world.sessions() as s:
        brief = daily_brief(s, Settings(), date(2026, 3, 1), world.now)
    assert brief.new_incidents == 1
    assert [(g.grade_name, g.total, g.confirmed) for g in brief.by_grade] == [
        ("特别重大", 0, 0),
        ("重大", 1, 1),
        ("较大", 0, 0),
        ("一般", 0, 0),
    ]
    assert brief.by_category == (("食品药品安全", 1),)
    # 23:30 Beijing belongs to 1 March; 00:10 on 2 March does not (though it is still 1 March in UTC)
    top = [(i.id, i.posts, i.negative_share) for i in brief.top_incidents]
    assert top == [(1, 3, pytest.approx(0.667)), (2, 1, 0.0)]
    assert brief.top_incidents[0].link == "http://127.0.0.1:8000/incidents/1"
    assert [(o.kind, o.state_name) for o in brief.due_today] == [("权威信息发布", "按时完成")]
    assert brief.breached_today == ()
    assert [(r.form, r.url) for r in brief.responses] == [("通报", "https://gov.example/r1")]
    assert brief.open_breaches == 1
    assert [c.content for c in brief.commitments_overdue] == ["10个工作日内答复"]
    assert brief.commitments_due == ()


def test_brief_for_2_march(world: World) -> None:
    with world.sessions() as s:
        brief = daily_brief(s, Settings(), date(2026, 3, 2), world.now)
    assert brief.new_incidents == 0
    assert [(i.id, i.posts) for i in brief.top_incidents] == [(1, 1)]
    assert [o.kind for o in brief.due_today] == ["新闻发布会"]
    assert [(o.kind, o.state_name) for o in brief.breached_today] == [("新闻发布会", "逾期完成")]
    assert [r.form for r in brief.responses] == ["新闻发布会"]


def test_brief_html_is_escaped_and_self_contained(world: World) -> None:
    with world.sessions() as s:
        brief = daily_brief(s, Settings(), date(2026, 3, 1), world.now)
    page = render_html(brief)
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page
    assert "&lt;b&gt;学生&lt;/b&gt;" in page and "<b>学生" not in page
    assert '<a href="https://gov.example/r1"' in page
    assert "<script" not in page and "src=" not in page and "<link" not in page
    assert "新增舆情事件1起" in page and "目前累计超时未办1项" in page


def _runs_with_cjk(doc: Any) -> list[Any]:
    runs = [r for p in doc.paragraphs for r in p.runs]
    runs += [
        r for t in doc.tables for row in t.rows for cell in row.cells for p in cell.paragraphs for r in p.runs
    ]
    return [r for r in runs if any("\u4e00" <= ch <= "\u9fff" for ch in r.text)]


def test_brief_docx_text_and_east_asian_fonts(world: World, tmp_path: Path) -> None:
    with world.sessions() as s:
        brief = daily_brief(s, Settings(), date(2026, 3, 1), world.now)
    out = tmp_path / "brief.docx"
    write_docx(brief, out)
    doc = Document(str(out))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "每日舆情简报（2026年3月1日）" in text and "新增舆情事件1起" in text
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    assert "#1 某小学食堂<b>学生</b>腹泻" in cells and "10个工作日内答复" in cells
    fonts = {r._element.rPr.rFonts.get(qn("w:eastAsia")) for r in _runs_with_cjk(doc)}
    assert fonts == {"方正小标宋简体", "黑体", "仿宋_GB2312"}
    assert doc.paragraphs[0].runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == "方正小标宋简体"


@pytest.fixture
def cli(world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cfg = tmp_path / "yuqing.toml"
    cfg.write_text(f'[database]\nurl = "{world.url}"\n', encoding="utf-8")
    monkeypatch.setenv("YUQING_FROZEN_NOW", "2026-12-30T10:00:00+08:00")
    monkeypatch.chdir(tmp_path)
    return cfg


def test_cli_export_ledger_xlsx_and_csv(cli: Path, tmp_path: Path) -> None:
    out = tmp_path / "h1.xlsx"
    args = ["--config", str(cli), "export", "ledger", "--from", "2026-01-01", "--to", "2026-06-30"]
    assert main([*args, "--out", str(out)]) == 0
    ws = openpyxl.load_workbook(out)["舆情回应台账"]
    assert ws.max_row == 2 + 5 and "2026-01-01至2026-06-30" in ws["A1"].value
    assert main([*args, "--unit", "市场监管局", "--state", "已超时", "--out", str(out)]) == 0
    ws = openpyxl.load_workbook(out)["舆情回应台账"]
    assert (
        ws.max_row == 3 and "单位：市场监管局；状态：已超时" in ws["A1"].value
    )  # the title names the filters
    assert main([*args, "--format", "csv", "--unit", "市场监管局", "--state", "已超时"]) == 0
    data = (tmp_path / "舆情回应台账_2026-01-01至2026-06-30.csv").read_bytes()
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert [line[-1] for line in table[1:]] == ["3"]
    assert (
        main([*args, "--format", "csv", "--grade", "重大", "--category", "食品药品安全", "--out", "g.csv"])
        == 0
    )
    table = list(csv.reader(io.StringIO((tmp_path / "g.csv").read_text(encoding="utf-8-sig"))))
    assert [line[-1] for line in table[1:]] == ["1", "2"]


def test_cli_bad_input_is_a_chinese_error(cli: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(cli), "export", "ledger", "--unit", "不存在的局"]) == 2
    assert "未找到单位" in capsys.readouterr().err
    assert main(["--config", str(cli), "export", "ledger", "--from", "2026-13-01"]) == 2
    assert "日期格式" in capsys.readouterr().err
    assert main(["--config", str(cli), "report", "units", "--period", "2026H3"]) == 2
    assert "考核周期" in capsys.readouterr().err
    assert not list(Path.cwd().glob("*.xlsx"))  # nothing half-written


def test_cli_report_units(cli: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(cli), "report", "units", "--period", "2026H1"]) == 0
    text = capsys.readouterr().out
    assert "单位考核（2026年上半年，2026-01-01 至 2026-06-30）" in text
    edu_line = next(line for line in text.splitlines() if line.startswith("教育局") and "%" in line)
    assert edu_line.split() == ["教育局", "2", "1", "1", "0", "0", "0", "50.0%", "15.00"]
    for fmt in ("xlsx", "docx", "csv"):
        assert main(["--config", str(cli), "report", "units", "--period", "2026H1", "--format", fmt]) == 0
    ws = openpyxl.load_workbook(tmp_path / "单位考核_2026H1.xlsx")["单位考核"]
    header = [c.value for c in ws[2]]
    total = {h: ws.cell(7, i + 1).value for i, h in enumerate(header)}
    assert (total["单位"], total["应办时限"], total["按时率"], total["中位用时（小时）"]) == (
        "合计",
        5,
        0.5,
        24.0,
    )
    doc = Document(str(tmp_path / "单位考核_2026H1.docx"))
    assert doc.tables[0].rows[1].cells[0].text == "教育局" and doc.tables[0].rows[1].cells[7].text == "50.0%"
    lines = list(csv.reader(io.StringIO((tmp_path / "单位考核_2026H1.csv").read_text(encoding="utf-8-sig"))))
    assert lines[2][:8] == ["市场监管局", "2", "0", "0", "1", "1", "0", "0.0%"]


def test_cli_report_daily(cli: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "--config",
                str(cli),
                "report",
                "daily",
                "--date",
                "2026-03-01",
                "--format",
                "html",
                "--out",
                "-",
            ]
        )
        == 0
    )
    assert "每日舆情简报（2026年3月1日）" in capsys.readouterr().out
    assert main(["--config", str(cli), "report", "daily", "--format", "docx"]) == 0  # today, from the clock
    doc = Document(str(tmp_path / "每日舆情简报_2026-12-30.docx"))
    assert doc.paragraphs[0].text == "每日舆情简报（2026年12月30日）"
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    assert "10个工作日内答复" in cells  # still overdue
    assert "权威信息发布" not in cells  # nothing was due on 30 December


def test_ledger_and_reports_on_data_made_by_the_services(sqlite_app: App) -> None:
    """Posts through ingest, obligations from the policy sweep, a response and a commitment through the
    services: the ledger, the scorecard and the brief agree with what the services stored."""
    from tests.conftest import T0
    from tests.tracker.helpers import food_story
    from tracker.commitments import add_commitment
    from tracker.db import transaction
    from tracker.ledger import LedgerFilters, ledger_rows
    from tracker.models import Incident, Obligation
    from tracker.responses import log_response
    from tracker.sweep import run

    app = sqlite_app
    incident_id = food_story(T0)[0].incident_id
    run(app, T0 + timedelta(hours=1))
    published = T0 + timedelta(hours=2)
    with transaction(app.sessions) as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        logged = log_response(
            session, incident, form="通报", published_at=published, actor="张三", now=published
        )
        add_commitment(session, logged.response, content="12月15日前完成整改", due_at=T0 + timedelta(days=22),
                       actor="张三", now=published)  # fmt: skip
        effect = dict(logged.response.effect)
        met = {ob.id for ob in logged.satisfied}
    with app.sessions() as session:
        rows = ledger_rows(session, LedgerFilters())
        n_obligations = len(session.query(Obligation).all())
        report = scorecard_report(session, parse_period("2026-11"), published)
        brief = daily_brief(session, app.settings, date(2026, 11, 23), published)
    assert rows and len(rows) == n_obligations and {r.incident_id for r in rows} == {incident_id}
    assert met, "the 通报 should meet at least one obligation"
    for r in rows:
        if r.obligation_id in met:
            assert (r.response_form, r.met_at, r.state) == ("通报", published, "met")
            assert r.effect is not None and r.effect.before_posts == effect["before"]["posts"]
        assert [c.content for c in r.commitments] == ["12月15日前完成整改"]
    due_in_nov = [r for r in rows if parse_period("2026-11").start <= r.due_at < parse_period("2026-11").end]
    assert report.total.due == len(due_in_nov)
    assert report.total.on_time == sum(r.state == "met" for r in due_in_nov)
    assert brief.new_incidents == 1 and [r.form for r in brief.responses] == ["通报"]
    assert brief.top_incidents[0].id == incident_id and brief.top_incidents[0].posts == 6
