"""Calendar overrides and imported notices from the database change the engine's answers; deadlines past
the holiday data are provisional and the admin is told once to load the notice."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from tests.tracker.helpers import store
from tracker.app import App
from tracker.clock import FrozenClock
from tracker.db import transaction
from tracker.models import AlertOutbox, Obligation
from tracker.sweep import run


def cli(app: App, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tracker.cli", "--config", app.settings.path, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def deadline(app: App, start: str, within: str) -> dict[str, object]:
    out = cli(app, "deadline", "--start", start, "--within", within)
    assert out.returncode == 0, out.stderr
    return dict(json.loads(out.stdout))


def test_override_and_notice_change_the_answer(sqlite_app: App, tmp_path: Path) -> None:
    before = deadline(sqlite_app, "2026-11-23T10:00", "1wd")
    assert before == {"due": "2026-11-25T00:00:00+08:00", "provisional": False}
    assert cli(sqlite_app, "calendar", "set", "2026-11-24", "off", "--note", "临时调整").returncode == 0
    assert deadline(sqlite_app, "2026-11-23T10:00", "1wd")["due"] == "2026-11-26T00:00:00+08:00"

    past = deadline(sqlite_app, "2026-12-30T10:00", "3wd")
    assert past["provisional"] is True
    notice = tmp_path / "2027.txt"
    notice.write_text("2027-01-01..2027-01-03 off 元旦\n2027-01-04 on 元旦调休\n", encoding="utf-8")
    out = cli(sqlite_app, "calendar", "import", str(notice), "--note", "国办发明电〔2026〕X号")
    assert out.returncode == 0 and "2027" in out.stdout
    after = deadline(sqlite_app, "2026-12-30T10:00", "3wd")
    # 12/31 (1st), 1/1–1/3 off, 1/4 (2nd), 1/5 (3rd) → ends at 24:00 on 1/5
    assert after == {"due": "2027-01-06T00:00:00+08:00", "provisional": False}
    bad = tmp_path / "bad.txt"
    bad.write_text("2027-13-01 off 不存在的日子\n", encoding="utf-8")
    wrong = cli(sqlite_app, "calendar", "import", str(bad))
    assert wrong.returncode == 2 and "错误" in wrong.stderr and "Traceback" not in wrong.stderr


def test_provisional_deadline_alerts_the_admin_once(sqlite_app: App) -> None:
    asked = datetime(2026, 12, 29, 2, 0, tzinfo=UTC)
    assert isinstance(sqlite_app.clock, FrozenClock)
    sqlite_app.clock.set(asked)
    result = store("信箱", "咨询春节期间办事安排", "请问春节期间政务大厅是否办公？", asked)
    run(sqlite_app)
    run(sqlite_app)
    with transaction(sqlite_app.sessions) as session:
        ob = session.scalars(select(Obligation).where(Obligation.incident_id == result.incident_id)).one()
        keys = [k for k in session.scalars(select(AlertOutbox.dedupe_key)) if k.startswith("calendar:")]
    assert ob.provisional
    assert len(keys) == 1 and keys[0].startswith("calendar:provisional:2027|")
