"""Administration pages: crawl now, topic query check, alert route test, calendar overrides."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from tests.web.conftest import Env, post
from tracker.models import AuditEvent, CalendarOverride
from tracker.settings_schema import RouteSettings, SourceSettings


def test_crawl_now_starts_the_configured_source(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr("tracker.crawl_runner.start_crawl", lambda app, name: calls.append(name) or True)
    env.app.settings.sources = [SourceSettings(name="本地论坛", kind="feed", url="http://127.0.0.1/forum/")]
    r = post(env.client("admin"), "/admin/sources/1/crawl", follow_redirects=True)
    assert calls == ["本地论坛"]
    assert "已开始抓取 本地论坛" in r.get_data(as_text=True)


def test_crawl_now_for_unconfigured_source_explains(env: Env) -> None:
    admin = env.client("admin")
    r = post(admin, "/admin/sources/1/crawl", follow_redirects=True)
    assert "无法抓取 本地论坛" in r.get_data(as_text=True)


def test_topic_query_checked_and_toml_given(env: Env) -> None:
    admin = env.client("admin")
    bad = post(admin, "/admin/topics", {"name": "校园食品", "query": "(食堂 OR 学校 AND 中毒"})
    assert bad.status_code == 400
    assert "缺少右括号" in bad.get_data(as_text=True)
    good = post(
        admin, "/admin/topics", {"name": "校园食品", "query": "(食堂 OR 学校) AND 呕吐", "units": "市教育局"}
    )
    html = good.get_data(as_text=True)
    assert good.status_code == 200
    assert "[[topics]]" in html and "query = &#34;(食堂 OR 学校) AND 呕吐&#34;" in html
    assert "实验小学学生呕吐腹泻" in html  # matching recent posts are previewed
    unknown = post(admin, "/admin/topics", {"name": "x", "query": "学校", "units": "不存在的局"})
    assert unknown.status_code == 400 and "未配置的单位" in unknown.get_data(as_text=True)


def test_route_send_test(env: Env) -> None:
    env.app.settings.alerts.routes = [RouteSettings(name="值班室", channels=["console://"])]
    r = post(env.client("admin"), "/admin/routes", {"route": "值班室"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "测试结果：值班室" in html and "console://：发送成功" in html


def test_route_page_masks_channel_secrets(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys inside channel URLs never reach the page, in the list or in a test result (no network here:
    the send itself is replaced)."""
    secret_url = "wecom://0123456789abcdef"
    env.app.settings.alerts.routes = [RouteSettings(name="值班室", channels=[secret_url])]
    monkeypatch.setattr("tracker.outbox.send_test", lambda app, name: [f"{secret_url}：发送失败：超时"])
    admin = env.client("admin")
    page = admin.get("/admin/routes").get_data(as_text=True)
    assert "wecom://***" in page and "0123456789abcdef" not in page
    html = post(admin, "/admin/routes", {"route": "值班室"}).get_data(as_text=True)
    assert "wecom://***：发送失败：超时" in html and "0123456789abcdef" not in html


def test_calendar_override(env: Env) -> None:
    admin = env.client("admin")
    r = post(admin, "/admin/calendar", {"day": "2026-12-26", "kind": "work", "note": "调休上班"})
    assert r.status_code == 302
    with env.app.sessions() as s:
        row = s.get(CalendarOverride, date(2026, 12, 26))
        assert row is not None and row.is_workday and row.note == "调休上班"
        assert s.scalar(select(AuditEvent).where(AuditEvent.action == "calendar.override")) is not None
    bad = post(admin, "/admin/calendar", {"day": "2026-12-26", "kind": ""})
    assert bad.status_code == 400 and "请选择" in bad.get_data(as_text=True)
