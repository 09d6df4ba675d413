"""Browser tests: Playwright driving Debian's Chromium against a real waitress server on 127.0.0.1.

The office workflow end to end: log in, find the incident on the dashboard, log a response with a
commitment, see the obligation turn met, download the Excel ledger and check its row. Screenshots go to
tests/browser/artifacts/ (look at them when a test fails). A second test does the core form with
JavaScript switched off.
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.seed import PASSWORD, Seeded, build_app, seed
from tracker.web import create_app

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent / "artifacts"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [pytest.mark.browser, pytest.mark.slow]
if not os.path.exists(CHROMIUM):
    pytest.skip(
        f"{CHROMIUM} 不存在：请安装 Debian 的 chromium 与中文字体（apt-get install chromium fonts-noto-cjk）",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (Python 包) 未安装")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Seeded]]:
    from waitress.server import create_server

    app = build_app(tmp_path)
    ids = seed(app)
    srv: Any = create_server(create_app(app, environ={}), host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.effective_port}", ids
    srv.close()
    app.engine.dispose()


@pytest.fixture
def browser() -> Iterator[Any]:
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _login(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_workflow_in_browser(server: tuple[str, Seeded], browser: Any) -> None:
    base, ids = server
    page = browser.new_page(viewport={"width": 1440, "height": 900}, locale="zh-CN", accept_downloads=True)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{base}/login")
    _shot(page, "01-login")
    _login(page, base, "duty")

    row = page.locator("#incident-table tr", has_text="实验小学食堂疑似食物中毒")
    countdown = row.locator(".cd")
    assert "cd-warn" in (countdown.get_attribute("class") or "")
    # the live countdown runs on the server's clock (frozen at 14:00, deadline 16:00), not the PC's
    assert countdown.inner_text() in ("剩余2小时", "剩余1小时59分")
    assert page.locator("canvas").count() >= 1  # the 7-day trend chart was drawn
    _shot(page, "02-dashboard")
    row.locator("a").first.click()
    page.wait_for_url(f"{base}/incidents/{ids.inc_a}")

    ob_row = page.locator(f"#ob-{ids.ob_a}")
    assert "剩余" in ob_row.inner_text()
    page.locator("#response > summary").click()
    page.select_option("select[name=form]", "通报")
    page.fill("input[name=published_at]", "2026-11-23T13:30")
    page.fill("input[name=url]", "https://jyj.example.gov.cn/tb/1")
    page.fill(
        "textarea[name=text]",
        "经调查，系配餐公司食材储存不当所致。我局将于10个工作日内完成全市学校食堂排查，并向社会公布结果。",
    )
    _shot(page, "03-log-response")
    page.click("#response button[type=submit]")
    page.wait_for_url(f"{base}/responses/*/commitments")

    assert "权威信息发布" in page.locator(".ok-text").inner_text()
    first = page.locator(".cm-row").first
    assert first.locator("input[type=checkbox][name$=-include]").is_checked()
    assert first.locator("input[type=datetime-local]").input_value() == "2026-12-08T00:00"
    _shot(page, "04-confirm-commitments")
    page.click("#confirm button[type=submit]")
    page.wait_for_url(f"{base}/incidents/{ids.inc_a}#commitments")

    assert "已按时完成" in page.locator(f"#ob-{ids.ob_a}").inner_text()
    assert "我局将于10个工作日内完成全市学校食堂排查" in page.locator("#commitments").inner_text()
    _shot(page, "05-obligation-met")

    page.click("text=台账与报表")
    page.wait_for_url(f"{base}/ledger")
    _shot(page, "06-ledger")
    with page.expect_download() as dl:
        page.click("#download-xlsx")
    data = Path(dl.value.path()).read_bytes()
    _check_ledger_row(data, ids.inc_a)
    assert not problems, problems


def _check_ledger_row(data: bytes, incident_id: int) -> None:
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(data))["舆情回应台账"]
    rows = list(ws.iter_rows(values_only=True))
    header_at = next(i for i, r in enumerate(rows) if r and r[0] == "事件编号")
    header = rows[header_at]
    records = [dict(zip(header, r, strict=True)) for r in rows[header_at + 1 :]]
    mine = [r for r in records if r["事件编号"] == incident_id and r["时限事项"] == "权威信息发布"]
    assert len(mine) == 1
    assert mine[0]["状态"] == "按时完成" and mine[0]["回应形式"] == "通报"
    assert "全市学校食堂排查" in str(mine[0]["承诺及落实情况"])


def test_core_form_without_javascript(server: tuple[str, Seeded], browser: Any) -> None:
    base, ids = server
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _login(page, base, "duty")
    cd = page.locator("#incident-table .cd").first
    assert cd.inner_text().startswith(("已超时", "剩余"))  # rendered by the server
    page.goto(f"{base}/incidents/{ids.inc_a}")
    page.select_option("#grade select[name=grade]", "II")
    page.fill("#grade textarea[name=reason]", "多名学生送医，确认为重大")
    page.click("#grade button[type=submit]")
    page.wait_for_url(f"{base}/incidents/{ids.inc_a}#grade")
    assert "多名学生送医，确认为重大" in page.locator("#grade").inner_text()
    _shot(page, "07-no-javascript")
    context.close()
