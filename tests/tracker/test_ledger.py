"""The ledger (舆情回应台账): rows, filters, the Excel workbook and the CSV, on a hand-made database.

The world below is built by hand (not through the services) so that every expected number is known.
``build_world`` is also used by test_reports.py.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from tracker.clock import BEIJING, fmt_beijing
from tracker.db import make_engine, session_factory
from tracker.errors import UserError
from tracker.ledger import LedgerFilters, LedgerRow, ledger_rows, write_commitments_csv, write_csv, write_xlsx
from tracker.models import (
    Base,
    Commitment,
    Consultation,
    Incident,
    Obligation,
    Post,
    Response,
    Source,
    Unit,
)
from tracker.reports.ledger_columns import COMMITMENT_COLUMNS, LEDGER_COLUMNS
from tracker.reports.periods import parse_period
from tracker.reports.table import row_texts, safe_csv_text

H1, H2 = parse_period("2026H1"), parse_period("2026H2")
EVIL_TITLE = '=HYPERLINK("http://evil.example","点我")物业\x0b乱收费'


def bj(text: str) -> datetime:
    """A Beijing wall time, as users and the policy documents write it."""
    return datetime.fromisoformat(text).replace(tzinfo=BEIJING)


@dataclass
class World:
    sessions: sessionmaker[Session]
    now: datetime
    url: str
    engine: Engine
    edu: int = 1
    market: int = 2
    housing: int = 3


def _incident(s: Session, id: int, title: str, category: str, first: str, **kw: Any) -> Incident:
    inc = Incident(
        id=id,
        title=title,
        category=category,
        first_post_at=bj(first),
        detected_at=bj(first) + timedelta(minutes=10),
        needs_policy=False,
        **kw,
    )
    s.add(inc)
    return inc


def _ob(s: Session, id: int, incident: int, kind: str, within: str, start: str, due: str, **kw: Any) -> None:
    s.add(
        Obligation(
            id=id,
            incident_id=incident,
            kind=kind,
            rule=kw.pop("rule", "规则"),
            within=within,
            basis=kw.pop("basis", "first_post"),
            start_at=bj(start),
            due_at=bj(due),
            next_check_at=bj(due),
            **kw,
        )
    )


def _post(s: Session, n: int, incident: int, at: str, sentiment: float) -> None:
    s.add(
        Post(
            id=n,
            source_id=1,
            url=f"http://127.0.0.1/p/{n}",
            title=f"帖子{n}",
            fetched_at=bj(at),
            published_at=bj(at),
            content_hash=f"h{n}",
            simhash=n,
            band0=0,
            band1=0,
            band2=0,
            band3=0,
            sentiment=sentiment,
            sentiment_model="test",
            category="other",
            incident_id=incident,
        )
    )


def _incidents(s: Session) -> None:
    _incident(
        s, 1, "某小学食堂<b>学生</b>腹泻", "food_drug_safety", "2026-03-01 08:00",
        grade="II", grade_confirmed=True, suggested_grade="III", lead_unit_id=1, disposition="实际困难",
    )  # fmt: skip
    _incident(
        s, 2, "某商户预付卡跑路", "consumer_market", "2026-04-10 09:00", suggested_grade="IV", lead_unit_id=2
    )
    _incident(s, 3, EVIL_TITLE, "urban_management", "2026-05-20 10:00", grade="III", grade_confirmed=True)
    _incident(
        s, 4, "某学校招生争议", "education", "2026-07-02 09:00",
        grade="IV", grade_confirmed=True, lead_unit_id=1,
    )  # fmt: skip
    _incident(
        s, 5, "某路段积水", "urban_management", "2026-12-28 10:00", suggested_grade="III", lead_unit_id=3
    )


def _obligations(s: Session) -> None:
    _ob(s, 1, 1, "权威信息发布", "5h", "2026-03-01 08:00", "2026-03-01 13:00",
        state="met", met_at=bj("2026-03-01 12:00"), response_id=1, unit_id=1, rule="重大及以上舆情")  # fmt: skip
    # no unit of its own: the incident's lead unit (教育局) answers for it
    _ob(s, 2, 1, "新闻发布会", "24h", "2026-03-01 08:00", "2026-03-02 08:00", state="met_late",
        met_at=bj("2026-03-02 10:00"), breached_at=bj("2026-03-02 08:00"), response_id=2)  # fmt: skip
    _ob(s, 3, 2, "回应", "48h", "2026-04-10 09:00", "2026-04-12 09:00",
        state="breached", breached_at=bj("2026-04-12 09:00"), unit_id=2)  # fmt: skip
    _ob(s, 4, 2, "吸收采纳情况发布", "10wd", "2026-04-11 10:00", "2026-04-26 00:00", basis="graded",
        state="waived", waived_reason="已合并处理", waived_by="张三", unit_id=2)  # fmt: skip
    _ob(s, 5, 3, "回应", "48h", "2026-05-20 10:00", "2026-05-22 10:00", state="met",
        met_at=bj("2026-05-21 10:00"))  # fmt: skip
    _ob(s, 6, 4, "回应", "48h", "2026-07-02 09:00", "2026-07-04 09:00", state="met",
        met_at=bj("2026-07-02 11:00"), unit_id=1)  # fmt: skip
    _ob(s, 7, 5, "答复", "5wd", "2026-12-28 10:00", "2027-01-06 00:00", state="pending",
        provisional=True, unit_id=3)  # fmt: skip
    _ob(s, 8, 4, "持续发布", "24h", "2026-12-30 10:00", "2026-12-31 10:00", state="pending", unit_id=1)
    # past due but still pending: the sweep has not run since (the scorecard must say so)
    _ob(s, 9, 4, "持续发布", "24h", "2026-12-28 10:00", "2026-12-29 10:00", state="pending", unit_id=1)


def _responses_and_commitments(s: Session) -> None:
    effect = {"before": {"posts": 40, "negative_share": 0.75}, "after": {"posts": 20, "negative_share": 0.5}}
    for rid, form, at, url in (
        (1, "通报", "2026-03-01 12:00", "https://gov.example/r1"),
        (2, "新闻发布会", "2026-03-02 10:00", "https://gov.example/r2"),
    ):
        s.add(Response(id=rid, incident_id=1, form=form, published_at=bj(at), recorded_at=bj(at),
                       recorded_by="值班员", unit_id=1, url=url, effect=effect if rid == 1 else {}))  # fmt: skip
    s.add(Consultation(incident_id=1, at=bj("2026-03-01 11:00"), participants=["教育局", "市场监管局"],
                       conclusion="联合调查", recorded_by="值班员"))  # fmt: skip
    s.flush()  # no ORM relationships here: flush parents before the rows that point at them
    rows = [
        (1, 1, 1, "3月15日前完成食堂整改", "2026-03-16 00:00", "fulfilled", "2026-03-14 10:00", 1),
        (2, 1, 2, "30日内公布调查结果", "2026-04-01 00:00", "fulfilled", "2026-04-03 09:00", 1),
        (3, 2, None, "10个工作日内答复", "2026-04-24 00:00", "overdue", None, 2),
        (4, 1, 1, "5月1日前更换配餐公司", "2026-05-01 00:00", "cancelled", None, 1),
        (5, 1, 2, "持续推进食品安全排查", None, "pending", None, 1),
        (6, 5, None, "年底前完成排水改造", "2026-12-29 00:00", "pending", None, 3),
    ]
    for cid, inc, resp, content, due, status, fulfilled, unit in rows:
        s.add(
            Commitment(
                id=cid, incident_id=inc, response_id=resp, content=content, due_at=bj(due) if due else None,
                periodic=due is None, status=status, fulfilled_at=bj(fulfilled) if fulfilled else None,
                evidence_url="https://gov.example/e1" if cid == 1 else None,
                evidence_note="调查报告已报送" if cid == 2 else None,
                disclosed_url="https://gov.example/d1" if cid == 1 else None,
                created_at=bj("2026-04-10 12:00") if cid == 3 else bj("2026-12-20 09:00"), unit_id=unit,
            )
        )  # fmt: skip


def _posts(s: Session) -> None:
    s.add(Source(id=1, name="新闻", kind="feed"))
    s.flush()
    # 2026-03-01 (Beijing): three posts on incident 1, two of them negative; 23:30 is still 1 March
    for n, at, senti in (
        (1, "2026-03-01 08:00", 0.1),
        (2, "2026-03-01 09:00", 0.9),
        (3, "2026-03-01 23:30", 0.2),
    ):
        _post(s, n, 1, at, senti)
    _post(s, 4, 1, "2026-03-02 00:10", 0.3)  # 2 March in Beijing, still 1 March in UTC
    _post(s, 5, 2, "2026-03-01 10:00", 0.8)


def build_world(url: str) -> World:
    """The world on ``url`` (SQLite, or PostgreSQL through conftest's ``db_url``)."""
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    sessions = session_factory(engine)
    with sessions() as s:
        for uid, name in ((1, "教育局"), (2, "市场监管局"), (3, "住建局")):
            s.add(Unit(id=uid, name=name))
        s.flush()
        _incidents(s)
        s.flush()
        _responses_and_commitments(s)
        s.flush()
        _obligations(s)
        _posts(s)
        s.commit()
    return World(sessions, bj("2026-12-30 10:00"), url, engine)


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    w = build_world(db_url)
    yield w
    w.engine.dispose()


def rows(world: World, **kw: Any) -> list[LedgerRow]:
    with world.sessions() as s:
        return ledger_rows(s, LedgerFilters(**kw))


def ids(found: list[LedgerRow]) -> list[int]:
    return [r.obligation_id for r in found]


def test_all_rows_in_start_order(world: World) -> None:
    assert ids(rows(world)) == [1, 2, 3, 4, 5, 6, 9, 7, 8]


def test_row_content(world: World) -> None:
    by_id = {r.obligation_id: r for r in rows(world)}
    o1, o2, o4, o5 = by_id[1], by_id[2], by_id[4], by_id[5]
    assert (o1.category_name, o1.grade_name, o1.unit_name) == ("食品药品安全", "重大", "教育局")
    assert (o1.within_label, o1.basis_name, o1.state_name) == ("5小时", "首发", "按时完成")
    assert (o1.response_form, o1.response_url) == ("通报", "https://gov.example/r1")
    assert o1.response_time == timedelta(hours=4)
    assert o1.effect is not None and (o1.effect.before_posts, o1.effect.after_negative) == (40, 0.5)
    assert o1.consultations == ("2026-03-01 11:00 教育局、市场监管局：联合调查",)
    assert o1.disposition == "实际困难"
    assert [c.id for c in o1.commitments] == [1, 2, 4, 5]  # by due date, undated last
    assert o1.commitments[0].summary() == (
        "3月15日前完成食堂整改（期限 2026-03-16 00:00；按期兑现于 2026-03-14 10:00；"
        "佐证：https://gov.example/e1；已公开：https://gov.example/d1）"
    )
    assert o1.commitments[1].kept_on_time is False
    assert (
        o2.unit_name == "教育局" and o2.state_name == "逾期完成" and o2.response_time == timedelta(hours=26)
    )
    assert by_id[3].grade_name == "建议：一般" and by_id[3].state_name == "已超时"
    assert o4.state_name == "已豁免：已合并处理" and o4.basis_name == "定级"
    assert o5.unit_name == "未指定单位" and o5.grade_name == "较大"
    assert by_id[7].provisional and by_id[7].grade_name == "建议：较大"


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({"basis": "start", "start": H1.start, "end": H1.end}, [1, 2, 3, 4, 5]),
        ({"basis": "due", "start": H2.start, "end": H2.end}, [6, 9, 8]),
        ({"basis": "first_post", "start": H2.start}, [6, 9, 7, 8]),
        ({"unit_id": 1}, [1, 2, 6, 9, 8]),
        ({"unit_id": 2}, [3, 4]),
        ({"grade": "II"}, [1, 2]),
        ({"grade": "IV"}, [3, 4, 6, 9, 8]),
        ({"grade": "III"}, [5, 7]),
        ({"category": "food_drug_safety"}, [1, 2]),
        ({"states": ("breached",)}, [3]),
        ({"states": ("met", "met_late"), "unit_id": 1}, [1, 2, 6]),
    ],
)
def test_filters(world: World, kw: dict[str, Any], expected: list[int]) -> None:
    assert ids(rows(world, **kw)) == expected


def test_period_boundaries_are_beijing_midnight(world: World) -> None:
    # O1 starts 2026-03-01 08:00 Beijing = 00:00 UTC; a 1 March Beijing day must include it, 28 Feb not
    feb = rows(world, start=bj("2026-02-28 00:00"), end=bj("2026-03-01 00:00"))
    mar = rows(world, start=bj("2026-03-01 00:00"), end=bj("2026-03-02 00:00"))
    assert ids(feb) == [] and ids(mar) == [1, 2]
    assert ids(rows(world, start=datetime(2026, 3, 1, 0, 0, tzinfo=UTC), end=bj("2026-03-02 00:00"))) == [
        1,
        2,
    ]
    assert ids(rows(world, start=datetime(2026, 3, 1, 0, 0, 1, tzinfo=UTC))) == [3, 4, 5, 6, 9, 7, 8]


def test_bad_filters_are_refused() -> None:
    with pytest.raises(UserError):
        LedgerFilters(basis="when")
    with pytest.raises(UserError):
        LedgerFilters(states=("done",))
    with pytest.raises(UserError):
        LedgerFilters(start=bj("2026-02-01 00:00"), end=bj("2026-01-01 00:00"))
    with pytest.raises(UserError):
        LedgerFilters(start=datetime(2026, 1, 1))  # naive: which time zone?


def _header_index(ws: Any, header: str) -> int:
    return [c.value for c in ws[2]].index(header) + 1


def test_xlsx_sheets_times_and_layout(world: World, tmp_path: Path) -> None:
    found = rows(world)
    out = tmp_path / "ledger.xlsx"
    write_xlsx(found, out, "舆情回应台账（测试）")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["舆情回应台账", "承诺落实及公开情况"]
    ws = wb["舆情回应台账"]
    assert ws["A1"].value == "舆情回应台账（测试）"
    assert [c.value for c in ws[2]] == [c.header for c in LEDGER_COLUMNS]
    assert ws.freeze_panes == "A3"
    assert ws.auto_filter.ref == "A2:Z11"
    assert ws.column_dimensions["B"].width == 32
    o1 = 3  # first data row is obligation 1
    start, due, met = (ws.cell(o1, _header_index(ws, h)) for h in ("起算时间", "截止时间", "完成时间"))
    assert start.value == datetime(2026, 3, 1, 8, 0) and start.value.tzinfo is None  # naive Beijing time
    assert due.value == datetime(2026, 3, 1, 13, 0) and met.value == datetime(2026, 3, 1, 12, 0)
    assert start.number_format == "yyyy-mm-dd hh:mm:ss"
    neg = ws.cell(o1, _header_index(ws, "回应前24小时负面占比"))
    assert neg.value == 0.75 and neg.number_format == "0.0%"
    link = ws.cell(o1, _header_index(ws, "回应链接"))
    assert link.value == "https://gov.example/r1" and link.hyperlink.target == "https://gov.example/r1"
    assert ws.cell(o1, _header_index(ws, "用时（小时）")).value == 4.0
    assert ws.cell(o1, _header_index(ws, "研判等级")).value == "重大"
    row7 = 3 + ids(found).index(7)
    assert ws.cell(row7, _header_index(ws, "截止时间暂定")).value == "暂定"
    assert ws.cell(row7, _header_index(ws, "截止时间")).value == datetime(2027, 1, 6, 0, 0)
    evil = ws.cell(3 + ids(found).index(5), _header_index(ws, "事件标题"))
    assert evil.data_type == "s" and evil.value == EVIL_TITLE.replace("\x0b", "")  # text, not a formula
    cs = wb["承诺落实及公开情况"]
    assert [c.value for c in cs[2]] == [c.header for c in COMMITMENT_COLUMNS]
    assert [cs.cell(r, _header_index(cs, "承诺编号")).value for r in range(3, cs.max_row + 1)] == [
        1,
        2,
        4,
        5,
        3,
        6,
    ]
    assert cs.cell(3, _header_index(cs, "承诺期限")).value == datetime(2026, 3, 16, 0, 0)
    assert cs.cell(3, _header_index(cs, "是否公开")).value == "已公开"
    assert cs.freeze_panes == "A3"


def _read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())  # BOM: Excel reads it as UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_csv_round_trip(world: World) -> None:
    found = rows(world)
    buf = io.BytesIO()
    write_csv(found, buf)
    table = _read_csv(buf.getvalue())
    assert table[0] == [c.header for c in LEDGER_COLUMNS]
    assert len(table) == len(found) + 1
    for row, line in zip(found, table[1:], strict=True):
        expected = [
            safe_csv_text(t) if c.kind in ("text", "wrap") else t
            for c, t in zip(LEDGER_COLUMNS, row_texts(LEDGER_COLUMNS, row), strict=True)
        ]
        assert line == expected
        cells = dict(zip(table[0], line, strict=True))
        start = datetime.fromisoformat(cells["起算时间"]).replace(tzinfo=BEIJING)
        assert start == row.start_at and cells["截止时间"] == fmt_beijing(row.due_at, with_seconds=True)
        assert int(cells["时限编号"]) == row.obligation_id
    first = dict(zip(table[0], table[1], strict=True))
    assert (first["起算时间"], first["回应前24小时负面占比"], first["用时（小时）"]) == (
        "2026-03-01 08:00:00",
        "75.0%",
        "4.00",
    )
    evil = dict(zip(table[0], table[1 + ids(found).index(5)], strict=True))
    assert evil["事件标题"] == "'" + EVIL_TITLE  # a leading "=" would run as a formula in Excel


def test_commitments_csv(world: World) -> None:
    buf = io.BytesIO()
    write_commitments_csv(rows(world, unit_id=2), buf)
    table = _read_csv(buf.getvalue())
    assert table[0] == [c.header for c in COMMITMENT_COLUMNS]
    assert [line[-1] for line in table[1:]] == ["3"]
    line = dict(zip(table[0], table[1], strict=True))
    assert (line["状态"], line["承诺期限"], line["是否公开"]) == ("已逾期", "2026-04-24 00:00:00", "未公开")


def test_ledger_by_due_matches_scorecard_counts(world: World) -> None:
    """The rows a reviewer can export with --by due are exactly what the scorecard counts."""
    from tracker.reports.scorecards import unit_scorecards

    period = parse_period("2026H1")
    with world.sessions() as s:
        cards = {c.unit_name: c for c in unit_scorecards(s, period, world.now)}
    found = rows(world, basis="due", start=period.start, end=period.end)
    by_unit = Counter((r.unit_name, r.state) for r in found)
    for name, card in cards.items():
        assert card.due == sum(n for (u, _), n in by_unit.items() if u == name)
        assert (card.on_time, card.late, card.breached, card.waived, card.pending) == tuple(
            by_unit[(name, st)] for st in ("met", "met_late", "breached", "waived", "pending")
        )
