"""Ledger page and downloads (the same numbers as tracker.ledger), reports, and /healthz."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.web.conftest import Env
from tests.web.seed import NOW
from tracker.db import transaction
from tracker.ledger import LedgerFilters, ledger_page, ledger_rows
from tracker.models import AlertOutbox, SchedulerLock, Source
from tracker.web.views import ledger as ledger_view


def _sheet_rows(data: bytes) -> list[dict[str, object]]:
    wb = load_workbook(io.BytesIO(data))
    ws = wb["舆情回应台账"]
    rows = list(ws.iter_rows(values_only=True))
    header_at = next(i for i, r in enumerate(rows) if r and r[0] == "事件编号")
    header = rows[header_at]
    return [dict(zip(header, r, strict=True)) for r in rows[header_at + 1 :] if any(v is not None for v in r)]


def test_excel_ledger_matches_service(env: Env) -> None:
    r = env.client("reviewer").get("/ledger/export.xlsx")
    assert r.status_code == 200
    assert "attachment" in r.headers["Content-Disposition"]
    rows = _sheet_rows(r.data)
    with env.app.sessions() as s:
        expected = ledger_rows(s, LedgerFilters())
    assert len(rows) == len(expected) > 0
    breached = next(row for row in rows if row["事件编号"] == env.ids.inc_b)
    assert breached["状态"] == "已超时" and breached["责任单位"] == "市市场监管局"


def test_unit_user_ledger_is_its_own(env: Env) -> None:
    rows = _sheet_rows(env.client("unit_a").get("/ledger/export.xlsx?unit=2").data)  # unit=2 is ignored
    assert rows and {row["责任单位"] for row in rows} == {"市教育局"}
    page = env.client("unit_a").get("/ledger").get_data(as_text=True)
    assert "车库积水" not in page and "实验小学食堂" in page


def test_ledger_filters_and_bad_input(env: Env) -> None:
    admin = env.client("admin")
    page = admin.get("/ledger?state=breached").get_data(as_text=True)
    assert "车库积水" in page and "实验小学食堂" not in page
    bad = admin.get("/ledger?from=2026-13-01")
    assert bad.status_code == 400 and "日期格式" in bad.get_data(as_text=True)
    csv = admin.get("/ledger/export.csv?grade=II").get_data(as_text=True)
    assert "实验小学食堂" in csv and "车库积水" not in csv


def test_reports_render_and_download(env: Env) -> None:
    admin = env.client("admin")
    assert "单位考核" in admin.get("/reports/units?period=2026H2").get_data(as_text=True)
    docx = admin.get("/reports/units?period=2026H2&format=docx")
    assert docx.status_code == 200 and docx.data[:2] == b"PK"
    assert admin.get("/reports/units?period=bad").status_code == 400
    daily = admin.get("/reports/daily?date=2026-11-23").get_data(as_text=True)
    assert "每日舆情简报" in daily
    assert admin.get("/reports/daily?date=2026-11-23&format=docx").data[:2] == b"PK"


def test_healthz(env: Env) -> None:
    anon = env.client()
    body = anon.get("/healthz").get_json()
    assert body["database"]["ok"] is True
    assert body["scheduler"]["ok"] is False and body["status"] == "degraded"
    assert anon.get("/healthz?strict=1").status_code == 503
    with transaction(env.app.sessions) as s:
        s.add(SchedulerLock(owner="host:1", heartbeat_at=NOW - timedelta(seconds=30)))
        s.add(AlertOutbox(dedupe_key="k", route="r", channel="console://", event="x", title="t", body="b",
                          created_at=NOW - timedelta(minutes=5), next_attempt_at=NOW))  # fmt: skip
        src = s.scalar(select(Source))
        assert src is not None
        src.consecutive_failures = 2
    body = anon.get("/healthz?strict=1").get_json()
    assert body["scheduler"] == {"ok": True, "heartbeat_at": "2026-11-23T13:59:30+08:00", "age_s": 30}
    assert body["outbox"] == {"backlog": 1, "failed": 0, "oldest_age_s": 300}
    assert body["sources"] == {"enabled": 1, "failing": 1}
    assert "本地论坛" not in anon.get("/healthz").get_data(as_text=True)  # counts only, no names


def test_ledger_pages_through_the_period(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    with env.app.sessions() as s:
        everything = ledger_rows(s, LedgerFilters())
        # The page builds only its own rows; the counts are the whole ledger's.
        page = ledger_page(s, LedgerFilters(), 2, 1)
        assert [r.obligation_id for r in page.rows] == [r.obligation_id for r in everything[1:3]]
        assert page.total == len(everything) >= 3
        assert page.incidents == len({r.incident_id for r in everything})
        assert ledger_page(s, LedgerFilters(), 2, len(everything)).rows == []
    monkeypatch.setattr(ledger_view, "PAGE_ROWS", 1)
    admin = env.client("admin")
    first = admin.get("/ledger?by=start").get_data(as_text=True)
    assert f"共 {len(everything)} 项（第 1/{len(everything)} 页）" in first
    assert 'id="ledger-next"' in first and 'id="ledger-prev"' not in first
    assert "/ledger?by=start&amp;page=2" in first  # the filters stay when paging
    second = admin.get("/ledger?by=start&page=2").get_data(as_text=True)
    assert everything[1].incident_title in second and 'id="ledger-prev"' in second
    assert admin.get(f"/ledger?page={len(everything) + 1}").status_code == 404
    bad = admin.get("/ledger?page=abc")
    assert bad.status_code == 400 and "页码" in bad.get_data(as_text=True)
