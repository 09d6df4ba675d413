"""The alert outbox (durable, at least once, never twice) and the audit chain (tamper-evident)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select, text, update

from tests.conftest import T0
from tests.tracker.helpers import food_story
from tracker.app import App
from tracker.audit import record, verify
from tracker.clock import FrozenClock
from tracker.db import transaction
from tracker.models import AlertOutbox, AuditEvent, Incident
from tracker.outbox import backoff, deliver_due
from tracker.sweep import run

CHILD = """
import sys
from datetime import datetime
from tracker.app import App
from tracker.clock import FrozenClock
from tracker.config import load_settings
from tracker.outbox import deliver_due
app = App(load_settings(sys.argv[1], env={}), FrozenClock(datetime.fromisoformat(sys.argv[2])))
print(deliver_due(app, app.clock.now()))
"""


def alert_lines(tmp_path: Path) -> list[dict[str, object]]:
    path = tmp_path / "var" / "alerts.jsonl"
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def deliver_in_child(app: App, crash: bool) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, YUQING_TEST_CRASH_AFTER_SEND="1" if crash else "0")
    return subprocess.run(
        [sys.executable, "-c", CHILD, app.settings.path, app.clock.now().isoformat()],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_kill_between_send_and_commit_neither_loses_nor_doubles(sqlite_app: App, tmp_path: Path) -> None:
    food_story(T0)
    assert isinstance(sqlite_app.clock, FrozenClock)
    sqlite_app.clock.set(T0 + timedelta(minutes=70))
    run(sqlite_app, deliver=False)
    with transaction(sqlite_app.sessions) as session:
        queued = len(session.scalars(select(AlertOutbox)).all())
    assert queued >= 1
    crashed = deliver_in_child(sqlite_app, crash=True)
    assert crashed.returncode == -9  # SIGKILL right after the first send
    assert len(alert_lines(tmp_path)) == 1
    with transaction(sqlite_app.sessions) as session:
        claimed = session.scalars(select(AlertOutbox).where(AlertOutbox.sending_since.is_not(None))).all()
        assert len(claimed) == 1 and claimed[0].sent_at is None  # sent, but the commit never happened
    again = deliver_in_child(sqlite_app, crash=False)
    assert again.returncode == 0, again.stderr
    lines = alert_lines(tmp_path)
    assert len(lines) == queued  # everything delivered, the crashed one not twice
    assert len({str(x["title"]) + str(x["body"]) for x in lines}) == queued
    with transaction(sqlite_app.sessions) as session:
        assert all(r.sent_at is not None for r in session.scalars(select(AlertOutbox)))


def test_failure_backs_off_and_keeps_the_row(sqlite_app: App, tmp_path: Path) -> None:
    food_story(T0)
    assert isinstance(sqlite_app.clock, FrozenClock)
    sqlite_app.clock.set(T0 + timedelta(minutes=70))
    run(sqlite_app, deliver=False)
    blocker = tmp_path / "var" / "alerts.jsonl"
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.mkdir()  # the file channel cannot write: a directory is in the way
    now = sqlite_app.clock.now()
    result = deliver_due(sqlite_app, now)
    assert result.sent == 0 and result.failed >= 1
    with transaction(sqlite_app.sessions) as session:
        row = session.scalars(select(AlertOutbox).where(AlertOutbox.attempts == 1)).first()
        assert row is not None and row.sent_at is None and row.last_error
        assert row.next_attempt_at > now
        retry_at = row.next_attempt_at
    assert deliver_due(sqlite_app, now + timedelta(seconds=1)).failed == 0  # not due yet
    blocker.rmdir()
    assert deliver_due(sqlite_app, retry_at).sent >= 1


def test_backoff_grows_with_jitter_and_cap() -> None:
    waits = [backoff(7, n) for n in range(1, 12)]
    assert 24 <= waits[0] <= 36
    assert waits[3] > waits[2] > waits[1]
    assert max(waits) <= 3600 * 1.2


def test_audit_verify_names_edited_and_deleted_rows(app: App) -> None:
    food_story(T0)
    run(app)
    with transaction(app.sessions) as session:
        assert verify(session) == []
        ids = session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).all()
    assert len(ids) >= 3
    with transaction(app.sessions) as session:  # behind the application's back
        session.execute(update(AuditEvent).where(AuditEvent.id == ids[1]).values(actor="篡改者"))
    with transaction(app.sessions) as session:
        problems = verify(session)
    assert [p.event_id for p in problems] == [ids[1]] and "被修改" in problems[0].problem
    with transaction(app.sessions) as session:
        session.execute(update(AuditEvent).where(AuditEvent.id == ids[1]).values(actor="系统"))
        assert verify(session) == []  # restored
        session.execute(text("DELETE FROM audit_events WHERE id = :i"), {"i": ids[1]})
    with transaction(app.sessions) as session:
        problems = verify(session)
    assert any("被删除" in p.problem and p.event_id == ids[2] for p in problems)


def test_deleting_the_newest_rows_is_caught_by_the_anchor(app: App) -> None:
    from tracker.audit import read_anchors

    food_story(T0)
    run(app)  # the sweep writes the anchor
    anchor_file = app.path("var/audit.anchor")
    with transaction(app.sessions) as session:
        last = session.scalars(select(AuditEvent.id).order_by(AuditEvent.id.desc())).first()
        session.execute(text("DELETE FROM audit_events WHERE id = :i"), {"i": last})
        assert verify(session) == []  # the chain alone cannot see a truncated tail
        problems = verify(session, read_anchors(anchor_file))
    assert [p.event_id for p in problems] == [last]


def test_concurrent_appenders_keep_one_chain_and_never_deadlock(app: App) -> None:
    """A crawl's batch locks an incident row and then appends an audit event; a grade change appends its
    event and then changes the same row. With the append lock taken when the event is recorded, they
    deadlocked on PostgreSQL under load; taken last, at commit, nobody holds it while waiting for a row:
    every transaction commits and the chain stays one chain."""
    (incident_id,) = {r.incident_id for r in food_story(T0, 1)}
    assert incident_id is not None
    errors: list[str] = []

    def writer(k: int) -> None:
        for n in range(15):
            try:
                with transaction(app.sessions) as session:
                    if k % 2:  # the batch: row first
                        incident = session.get(Incident, incident_id, with_for_update={"key_share": True})
                        assert incident is not None
                        incident.heat += 1
                        session.flush()
                        record(session, f"写入者{k}", "test.touch", "incident", incident_id, {"n": n}, T0)
                    else:  # the grade change: event first, row written at commit
                        record(session, f"写入者{k}", "test.touch", "incident", incident_id, {"n": n}, T0)
                        incident = session.get(Incident, incident_id)
                        assert incident is not None
                        incident.heat = float(n)
            except Exception as exc:  # every failure counts: the target is none
                errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    with transaction(app.sessions) as session:
        assert verify(session) == []
        touched = session.scalar(select(func.count()).where(AuditEvent.action == "test.touch"))
        assert touched == 4 * 15
