"""A realistic ledger built through the real services, and whole-database snapshots to compare."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from tests.conftest import T0
from tests.tracker.helpers import food_story, store
from tracker.app import App
from tracker.audit import read_anchors, verify
from tracker.clock import FrozenClock
from tracker.commitments import add_commitment
from tracker.db import transaction
from tracker.models import Base, Incident
from tracker.responses import log_response
from tracker.sweep import run


def frozen(app: App) -> FrozenClock:
    assert isinstance(app.clock, FrozenClock)
    return app.clock


def build_ledger(app: App, start: datetime = T0) -> int:
    """The food-poisoning story with its obligations, a late response, a commitment, a breach and alerts.
    Returns the incident id."""
    incident_id = food_story(start)[0].incident_id
    assert incident_id is not None
    store(
        "新闻",
        "建设路积水严重",
        "市民反映建设路与人民路交叉口雨后积水严重，电动车熄火，希望尽快处理。",
        start,
    )
    clock = frozen(app)
    clock.set(start + timedelta(hours=1))
    run(app, deliver=False)
    clock.set(start + timedelta(hours=6))  # the 5-hour window has passed: a breach
    run(app, deliver=False)
    with transaction(app.sessions) as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        logged = log_response(
            session,
            incident,
            form="通报",
            published_at=start + timedelta(hours=5, minutes=30),
            actor="值班员",
            now=clock.now(),
            url="http://127.0.0.1/gov/notice-1.html",
            text="市市场监管局已对配餐公司立案调查，将于30日内公布调查结果。",
        )
        add_commitment(
            session,
            logged.response,
            content="30日内公布调查结果",
            due_at=start + timedelta(days=30),
            actor="值班员",
            now=clock.now(),
        )
    run(app, deliver=False)  # writes the audit anchor too
    return incident_id


def post_text(n: int) -> str:
    """Distinct, realistic and long (~5 KB): a full page of a message-board complaint."""
    line = f"第{n}号留言：建设路与人民路交叉口雨后积水严重，电动车熄火，行人只能绕行，希望有关部门尽快疏通排水管道。"
    return line * 30


def snapshot(engine: Engine, skip: tuple[str, ...] = ()) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every model table, ordered by primary key."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for t in Base.metadata.sorted_tables:
            if t.name in skip:
                continue
            rows = conn.execute(select(t).order_by(*t.primary_key.columns)).all()
            out[t.name] = [tuple(r) for r in rows]
    return out


def chain_problems(app: App) -> list[str]:
    with transaction(app.sessions) as session:
        problems = verify(session, read_anchors(app.path("var/audit.anchor")))
    return [p.problem for p in problems]
