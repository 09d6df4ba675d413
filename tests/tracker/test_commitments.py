"""Commitments from response text to fulfilment; disposition obligations; consultation; response effect;
the respond/commitment CLI on a real config."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import T0
from tests.tracker.helpers import food_story, store
from tracker.app import App
from tracker.clock import FrozenClock
from tracker.commitments import add_commitment, fulfil, suggest
from tracker.db import transaction
from tracker.errors import UserError
from tracker.models import AlertOutbox, Commitment, Incident, Obligation
from tracker.responses import log_response
from tracker.sweep import run
from tracker.workflow import add_consultation, set_disposition

TEXT = (
    "经初步调查，事件系配餐公司食材储存不当所致。市市场监管局已责令该公司停业整顿，"
    "将于12月15日前完成全面整改，10个工作日内公布检测结果。我们将持续推进校园食品安全专项检查。"
)


def _incident(app: App) -> int:
    incident_id = food_story(T0)[0].incident_id
    assert incident_id is not None
    return incident_id


def test_suggestions_confirm_remind_overdue_and_fulfil(sqlite_app: App) -> None:
    app = sqlite_app
    assert isinstance(app.clock, FrozenClock)
    incident_id = _incident(app)
    app.clock.set(T0 + timedelta(hours=2))
    with transaction(app.sessions) as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        resp = log_response(
            session,
            incident,
            form="通报",
            published_at=T0 + timedelta(hours=2),
            actor="张三",
            now=app.clock.now(),
            text=TEXT,
        ).response
        suggestions = suggest(session, app.settings, resp)
        phrases = [s.phrase for s in suggestions]
        assert any("12月15日" in p for p in phrases) and any("10个工作日" in p for p in phrases)
        assert any(s.periodic for s in suggestions)
        dated = next(s for s in suggestions if "12月15日" in s.phrase)
        c = add_commitment(
            session, resp, content=dated.content, due_at=dated.due, actor="张三", now=app.clock.now()
        )
        periodic = next(s for s in suggestions if s.periodic)
        p = add_commitment(
            session,
            resp,
            content=periodic.content,
            due_at=None,
            periodic=True,
            actor="张三",
            now=app.clock.now(),
        )
        cid, pid = c.id, p.id
    assert dated.due == datetime(2026, 12, 15, 16, 0, tzinfo=UTC)  # 12月15日 24:00 Beijing
    app.clock.set(datetime(2026, 12, 13, 2, 0, tzinfo=UTC))  # within 3 days of due
    assert run(app).commitments >= 1
    app.clock.set(datetime(2026, 12, 16, 2, 0, tzinfo=UTC))
    run(app)
    with transaction(app.sessions) as session:
        keys = set(session.scalars(select(AlertOutbox.dedupe_key)))
        c = session.get(Commitment, cid)
        assert c is not None and c.status == "overdue"
        assert any(k.startswith(f"commitment:{cid}:due|") for k in keys)
        assert any(k.startswith(f"commitment:{cid}:overdue|") for k in keys)
        assert not any(k.startswith(f"commitment:{pid}:review:") for k in keys)
        with pytest.raises(UserError, match="佐证"):
            fulfil(session, c, actor="李四", now=app.clock.now())
        fulfil(
            session,
            c,
            actor="李四",
            now=app.clock.now(),
            evidence_url="https://gov.example/zhenggai",
            disclosed_url="",
        )
        assert c.status == "fulfilled" and c.disclosed_url is None  # kept, but not yet made public
    app.clock.set(datetime(2026, 12, 24, 2, 0, tzinfo=UTC))  # 30 days after the promise: periodic review
    run(app)
    run(app)
    with transaction(app.sessions) as session:
        keys = set(session.scalars(select(AlertOutbox.dedupe_key)))
    assert len([k for k in keys if k.startswith(f"commitment:{pid}:review:")]) == 1


def test_disposition_opens_its_obligation_and_consultation_is_recorded(sqlite_app: App) -> None:
    incident_id = _incident(sqlite_app)
    now = T0 + timedelta(hours=1)
    with transaction(sqlite_app.sessions) as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        ob = set_disposition(session, sqlite_app.settings, incident, "虚假不实信息", "王五", now)
        assert ob.kind == "辟谣" and ob.due_at == now + timedelta(hours=24)
        again = set_disposition(session, sqlite_app.settings, incident, "虚假不实信息", "王五", now)
        assert again.id == ob.id  # recording it twice does not open a second obligation
        with pytest.raises(UserError):
            set_disposition(session, sqlite_app.settings, incident, "随便", "王五", now)
        c = add_consultation(
            session, incident, now, ["市场监管局", "教育局"], "联合调查，24小时内通报", "王五", now
        )
        assert c.participants == ["市场监管局", "教育局"]
        count = len(session.scalars(select(Obligation).where(Obligation.incident_id == incident_id)).all())
    assert count == 1


def test_response_effect_before_and_after(sqlite_app: App) -> None:
    incident_id = _incident(sqlite_app)  # 6 posts from T0 to T0+50min, mostly negative
    at = T0 + timedelta(minutes=25)
    with transaction(sqlite_app.sessions) as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        resp = log_response(
            session, incident, form="情况说明", published_at=at, actor="张三", now=T0 + timedelta(hours=2)
        ).response
        effect = resp.effect
    assert effect["before"]["posts"] == 3 and effect["after"]["posts"] == 3
    assert 0 <= effect["before"]["negative_share"] <= 1


def test_cli_respond_and_commitment(tmp_path: Path, sqlite_app: App) -> None:
    incident_id = _incident(sqlite_app)
    run(sqlite_app)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tracker.cli", "--config", sqlite_app.settings.path, *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env={"YUQING_FROZEN_NOW": (T0 + timedelta(hours=3)).isoformat(), "PATH": ""},
        )

    out = cli("respond", str(incident_id), "--form", "通报", "--at", "2026-11-23 12:30", "--text", TEXT)
    assert out.returncode == 0, out.stderr
    assert "满足时限：权威信息发布" in out.stdout and "按时完成" in out.stdout
    assert "建议登记承诺" in out.stdout
    bad = cli("respond", str(incident_id), "--form", "发微博", "--at", "2026-11-23 12:30")
    assert bad.returncode == 2 and "未知的回应形式" in bad.stderr and "Traceback" not in bad.stderr
    add = cli("commitment", "add", "1", "--content", "12月15日前完成整改", "--due", "2026-12-15T18:00")
    assert add.returncode == 0 and "已登记承诺 #1" in add.stdout
    done = cli("commitment", "fulfil", "1", "--note", "整改验收报告见附件")
    assert done.returncode == 0 and "尚未公开" in done.stdout
    store("新闻", "无关帖子", "公园开放时间调整。", T0)
    assert cli("audit", "verify").returncode == 0
