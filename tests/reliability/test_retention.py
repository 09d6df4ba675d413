"""Retention (tracker.retention.purge_post_text): raw post text goes after ``retention.post_text_days``;
the ledger, incidents, statistics, reports and the audit chain stay exactly as they were."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from tests.conftest import T0
from tests.reliability.helpers import build_ledger, chain_problems, frozen, snapshot
from tests.tracker.helpers import store
from tracker.app import App
from tracker.db import transaction
from tracker.ledger import LedgerFilters, ledger_rows
from tracker.listing import post_rows
from tracker.models import AuditEvent, Post
from tracker.reports.periods import parse_period
from tracker.reports.scorecards import unit_scorecards
from tracker.retention import purge_post_text
from tracker.sweep import run

PURGE_AT = T0 + timedelta(days=200)


def reports(app: App) -> dict[str, Any]:
    with transaction(app.sessions) as session:
        return {
            "ledger": [repr(r) for r in ledger_rows(session, LedgerFilters())],
            "scorecards": [repr(c) for c in unit_scorecards(session, parse_period("2026H2"), PURGE_AT)],
        }


def post_columns_but_text(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    text_index = [c.name for c in Post.__table__.columns].index("text")
    return [r[:text_index] + r[text_index + 1 :] for r in rows]


def test_purge_removes_old_text_and_keeps_ledger_statistics_and_chain(sqlite_app: App) -> None:
    app = sqlite_app
    build_ledger(app)
    recent = store(
        "新闻",
        "人民路路灯不亮",
        "人民路与建设路路口路灯已经坏了一个星期，晚上过马路很危险。",
        T0 + timedelta(days=190),
    )
    frozen(app).set(PURGE_AT)
    run(app, deliver=False)  # let time do its work first (breaches, overdue commitment) …
    before, before_reports = snapshot(app.engine), reports(app)
    assert app.settings.retention.post_text_days == 180

    purged = purge_post_text(app, PURGE_AT)  # … so that only the purge differs below

    assert purged == 7  # the seven posts of the first day; the recent one is within 180 days
    run(app, deliver=False)  # a sweep after the purge must not recount anything from the (gone) text
    after = snapshot(app.engine)
    with transaction(app.sessions) as session:
        texts = {p.id: p.text for p in session.scalars(select(Post))}
        last = session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
    assert [i for i, t in texts.items() if t is not None] == [recent.post_id]
    assert post_columns_but_text(after["posts"]) == post_columns_but_text(before["posts"])
    assert all(
        title for _, _, _, _, title, *_ in after["posts"]
    )  # titles stay: the ledger names posts by them
    for name in (
        "incidents",
        "obligations",
        "responses",
        "commitments",
        "grade_changes",
        "alert_outbox",
        "sources",
    ):
        assert after[name] == before[name], name
    assert reports(app) == before_reports
    assert after["audit_events"][:-1] == before["audit_events"]
    assert last is not None and last.action == "retention.purge"
    assert last.payload["posts"] == 7 and last.payload["days"] == 180
    assert chain_problems(app) == []
    with transaction(app.sessions) as session:
        listed = post_rows(session, limit=20)  # `yuqing posts` still lists them
    assert len(listed) == 8 and sum(1 for r in listed if r["text"] is None) == 7


def test_purge_is_idempotent_and_zero_days_keeps_everything(sqlite_app: App) -> None:
    app = sqlite_app
    build_ledger(app)
    assert purge_post_text(app, PURGE_AT) == 7
    with transaction(app.sessions) as session:
        events = len(session.scalars(select(AuditEvent)).all())
    assert purge_post_text(app, PURGE_AT + timedelta(days=1)) == 0
    with transaction(app.sessions) as session:
        assert len(session.scalars(select(AuditEvent)).all()) == events  # nothing to do: nothing recorded

    store("新闻", "人民路路灯不亮", "人民路与建设路路口路灯已经坏了一个星期，晚上过马路很危险。", T0)
    app.settings.retention.post_text_days = 0
    assert purge_post_text(app, PURGE_AT + timedelta(days=3650)) == 0
    with transaction(app.sessions) as session:
        assert session.scalars(select(Post).where(Post.text.is_not(None))).all()


def test_the_boundary_is_exact(sqlite_app: App) -> None:
    """A post fetched exactly ``post_text_days`` ago keeps its text; one second older loses it."""
    app = sqlite_app
    at = T0 + timedelta(days=30)
    edge = store("新闻", "人民路路灯不亮", "人民路与建设路路口路灯已经坏了一个星期，晚上过马路很危险。", at)
    older = store(
        "新闻",
        "锦绣小区夜间施工噪音扰民",
        "锦绣小区旁工地晚上十一点后还在打桩，噪音扰民。",
        at - timedelta(seconds=1),
    )
    assert purge_post_text(app, at + timedelta(days=180)) == 1
    with transaction(app.sessions) as session:
        assert session.get(Post, edge.post_id).text is not None  # type: ignore[union-attr]
        assert session.get(Post, older.post_id).text is None  # type: ignore[union-attr]
