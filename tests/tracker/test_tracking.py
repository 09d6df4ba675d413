"""The tracking core with a frozen clock: incidents from the food-poisoning story, obligations from the
policy, warnings, breaches (also during downtime), idempotent sweeps, responses, grade changes."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from tests.conftest import T0
from tests.tracker.helpers import food_story, store
from tracker.app import App
from tracker.clock import FrozenClock
from tracker.db import transaction
from tracker.models import AlertOutbox, Incident, Obligation
from tracker.responses import log_response
from tracker.sweep import run
from tracker.workflow import confirm_grade, waive_obligation


def obligations(app: App, incident_id: int) -> dict[str, Obligation]:
    with transaction(app.sessions) as session:
        rows = session.scalars(select(Obligation).where(Obligation.incident_id == incident_id)).all()
        return {o.kind: o for o in rows}


def outbox_keys(app: App) -> list[str]:
    with transaction(app.sessions) as session:
        return [
            k.split("|")[0] for k in session.scalars(select(AlertOutbox.dedupe_key).order_by(AlertOutbox.id))
        ]


def clock(app: App) -> FrozenClock:
    assert isinstance(app.clock, FrozenClock)
    return app.clock


def test_story_becomes_one_major_incident_with_5h_and_24h(app: App) -> None:
    results = food_story(T0)
    assert {r.status for r in results} == {"new"}
    assert len({r.incident_id for r in results}) == 1
    incident_id = results[0].incident_id
    assert incident_id is not None
    clock(app).set(T0 + timedelta(hours=1))
    report = run(app)
    assert report.opened == 2
    obs = obligations(app, incident_id)
    assert obs["权威信息发布"].due_at == T0 + timedelta(hours=5)
    assert obs["新闻发布会"].due_at == T0 + timedelta(hours=24)
    assert obs["权威信息发布"].basis == "first_post" and obs["权威信息发布"].start_at == T0
    with transaction(app.sessions) as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        assert incident.suggested_grade in ("II", "I") and not incident.grade_confirmed
        assert incident.suggested_reasons
        lead = incident.lead_unit
        assert lead is not None and lead.name == "市场监管局"
    assert f"incident:{incident_id}:open:{incident.suggested_grade}" in outbox_keys(app)


def test_unrelated_posts_stay_apart(sqlite_app: App) -> None:
    a = store("新闻", "建设路积水严重", "市民反映建设路与人民路交叉口雨后积水严重，电动车熄火。", T0)
    b = store("新闻", "锦绣小区夜间施工噪音扰民", "锦绣小区旁工地晚上十一点后还在打桩，噪音扰民。", T0)
    c = store("新闻", "转发：建设路积水严重", "市民反映建设路与人民路交叉口雨后积水严重，电动车熄火！", T0)
    assert a.incident_id != b.incident_id
    assert a.incident_id == c.incident_id  # a repost with small edits is the same incident


def test_warnings_breach_and_escalation_each_once(app: App) -> None:
    incident_id = food_story(T0)[0].incident_id
    c = clock(app)
    c.set(T0 + timedelta(minutes=70))
    run(app)
    c.set(T0 + timedelta(hours=3, minutes=5))  # 61% of 5 h
    assert run(app).warned == 1
    assert run(app).warned == 0  # idempotent
    c.set(T0 + timedelta(hours=4, minutes=35))  # 91%
    assert run(app).warned == 1
    c.set(T0 + timedelta(hours=5, minutes=1))
    report = run(app)
    assert report.breached == 1
    second = run(app)
    assert (second.breached, second.warned, second.opened) == (0, 0, 0)
    ob = obligations(app, incident_id or 0)["权威信息发布"]
    assert ob.state == "breached" and ob.breached_at == T0 + timedelta(hours=5)
    keys = outbox_keys(app)
    assert keys.count(f"ob:{ob.id}:warn:1") == 1 and keys.count(f"ob:{ob.id}:warn:2") == 1
    assert keys.count(f"ob:{ob.id}:breach") == 1 and keys.count(f"ob:{ob.id}:esc:1") == 1
    c.set(T0 + timedelta(hours=7, minutes=31))  # escalate_after 0.5 × 5 h after the breach
    assert run(app).escalated == 1
    assert run(app).escalated == 0


def test_breach_during_downtime_has_true_time_and_one_alert(app: App) -> None:
    incident_id = food_story(T0)[0].incident_id
    c = clock(app)
    c.set(T0 + timedelta(minutes=70))
    run(app)
    c.set(T0 + timedelta(days=2))  # the daemon was down for two days
    report = run(app)
    assert report.breached == 2 and report.warned == 0  # missed warnings are not sent late
    obs = obligations(app, incident_id or 0)
    assert obs["权威信息发布"].breached_at == T0 + timedelta(hours=5)
    assert obs["新闻发布会"].breached_at == T0 + timedelta(hours=24)
    assert run(app).breached == 0
    keys = outbox_keys(app)
    assert len(keys) == len(set(keys))


def test_response_meets_and_late_response_is_met_late(app: App) -> None:
    incident_id = food_story(T0)[0].incident_id or 0
    c = clock(app)
    c.set(T0 + timedelta(minutes=70))
    run(app)
    c.set(T0 + timedelta(hours=4))
    with transaction(app.sessions) as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        logged = log_response(
            session,
            incident,
            form="情况说明",
            published_at=T0 + timedelta(hours=3),
            actor="张三",
            now=c.now(),
            url="https://gov.example/1",
            text="经初步调查……将于30日内完成整改。",
        )
        assert [o.kind for o in logged.satisfied] == ["权威信息发布"]
    c.set(T0 + timedelta(hours=30))
    run(app)  # the press conference breaches
    with transaction(app.sessions) as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        log_response(
            session,
            incident,
            form="新闻发布会",
            published_at=T0 + timedelta(hours=29),
            actor="张三",
            now=c.now(),
        )
    obs = obligations(app, incident_id)
    assert obs["权威信息发布"].state == "met" and obs["权威信息发布"].met_at == T0 + timedelta(hours=3)
    assert obs["新闻发布会"].state == "met_late" and obs["新闻发布会"].breached_at == T0 + timedelta(hours=24)


def test_downgrade_waives_and_upgrade_reopens(app: App) -> None:
    incident_id = food_story(T0)[0].incident_id or 0
    c = clock(app)
    c.set(T0 + timedelta(minutes=70))
    run(app)
    with transaction(app.sessions) as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        confirm_grade(session, app.settings, incident, "较大", "经核实仅少数学生轻微不适", "李四", c.now())
    obs = obligations(app, incident_id)
    assert obs["权威信息发布"].state == "waived" and "较大" in (obs["权威信息发布"].waived_reason or "")
    assert obs["回应"].state == "pending" and obs["回应"].due_at == T0 + timedelta(hours=48)
    with transaction(app.sessions) as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        confirm_grade(session, app.settings, incident, "重大", "送医人数增加", "李四", c.now())
    obs = obligations(app, incident_id)
    assert obs["权威信息发布"].state == "pending" and obs["回应"].state == "waived"
    with transaction(app.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Obligation)) == 3  # waived, never deleted


def test_message_board_reply_in_working_days_across_national_day(sqlite_app: App) -> None:
    from datetime import UTC, datetime

    asked = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)  # 10:00 Beijing, the day before 国庆
    clock(sqlite_app).set(datetime(2026, 10, 9, 3, 0, tzinfo=UTC))  # crawled after the reply appeared
    result = store(
        "信箱",
        "咨询学区划分",
        "请问明年小学学区划分什么时候公布？",
        asked,
        reply_text="您好，预计明年4月公布。",
        reply_unit="教育局",
        reply_at=datetime(2026, 10, 9, 1, 0, tzinfo=UTC),
    )
    run(sqlite_app)
    ob = obligations(sqlite_app, result.incident_id or 0)["答复"]
    # reply_days = 3 working days after 9/30: 国庆 10/1–10/7 off; 10/8, 10/9 and the make-up Saturday 10/10
    assert ob.due_at == datetime(2026, 10, 10, 16, 0, tzinfo=UTC)  # 10/10 24:00 Beijing
    assert ob.state == "met"


def test_waive_needs_reason_and_is_audited(sqlite_app: App) -> None:
    import pytest

    from tracker.audit import verify
    from tracker.errors import UserError

    incident_id = food_story(T0)[0].incident_id or 0
    run(sqlite_app)
    with transaction(sqlite_app.sessions) as session:
        ob = session.scalars(select(Obligation).where(Obligation.incident_id == incident_id)).first()
        assert ob is not None
        with pytest.raises(UserError):
            waive_obligation(session, ob, "  ", "王五", T0)
        waive_obligation(session, ob, "已由上级统一发布", "王五", T0)
    with transaction(sqlite_app.sessions) as session:
        assert verify(session) == []


def test_alert_file_channel_receives_chinese_alert(sqlite_app: App, tmp_path: Path) -> None:
    food_story(T0)
    clock(sqlite_app).set(T0 + timedelta(minutes=70))
    report = run(sqlite_app)
    assert report.delivered >= 1
    lines = (tmp_path / "var" / "alerts.jsonl").read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    assert first["title"].startswith("【舆情预警·")
    assert "距5小时权威信息发布时限还剩3小时50分" in first["body"]
