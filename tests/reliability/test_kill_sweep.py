"""SIGKILL a sweep half-way, then sweep again: no obligation state lost, no alert queued or sent twice,
the audit chain intact.

The sweep runs in a child process (as in the daemon) over dozens of overdue message-board replies. The
child wraps one of the sweep's own functions so that it kills itself at an exact point: inside the breach
step's transaction after some alerts were queued, or between two steps after the breach step committed.
No product hook is needed: the wrapper is the test's, the code it wraps is the product's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from tests.conftest import T0, make_app
from tests.reliability.helpers import chain_problems
from tests.tracker.helpers import store
from tracker import ingest
from tracker.app import App
from tracker.db import transaction
from tracker.models import AlertOutbox, AuditEvent, Obligation
from tracker.sweep import run

ROOT = Path(__file__).resolve().parents[2]
PLACES = ["东城区", "西城区", "南湖镇", "北山乡", "青石街道", "白沙县", "红旗村", "金桥开发区"]
ISSUES = [
    ("拖欠农民工工资", "工地拖欠二十多名农民工工资半年，工人多次讨要无果，要求劳动监察介入。"),
    ("小区停水三天", "小区停水已经三天，物业和自来水公司互相推诿，居民生活困难。"),
    ("道路积水严重", "路口雨后积水严重，电动车熄火，行人只能绕行，希望尽快疏通排水。"),
    ("夜间施工噪音扰民", "工地连续多日夜间施工到凌晨，噪音很大，老人孩子无法休息，投诉无人处理。"),
    ("学校周边违规摆摊", "学校门口流动摊贩占道经营，售卖三无食品，上下学时段交通拥堵，存在安全隐患。"),
]
#: every 3-working-day reply deadline (due 26 November) has passed; still inside the 2026 holiday data
LATE = T0 + timedelta(days=4)

CHILD = """
import os, sys
from datetime import datetime
import tracker.notify, tracker.sweep
from tracker.app import App
from tracker.clock import FrozenClock
from tracker.config import load_settings

mode, n = sys.argv[3], int(sys.argv[4])
calls = 0

def counting(original):
    def wrapper(*args, **kwargs):
        global calls
        calls += 1
        if calls > n:
            os.kill(os.getpid(), 9)
        return original(*args, **kwargs)
    return wrapper

if mode == "queue":  # die inside the breach step's transaction, after n alerts were queued in it
    tracker.sweep.queue_incident_alert = counting(tracker.sweep.queue_incident_alert)
elif mode == "step":  # die as the escalation step starts: the breach step has committed
    tracker.sweep._escalations = counting(tracker.sweep._escalations)
app = App(load_settings(sys.argv[1], env={}), FrozenClock(datetime.fromisoformat(sys.argv[2])))
print(tracker.sweep.run(app))
"""


def sweep_in_child(app: App, mode: str = "none", n: int = 0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CHILD, app.settings.path, LATE.isoformat(), mode, str(n)],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def build(tmp_path: Path, db_url: str) -> App:
    app = make_app(tmp_path, db_url)
    ingest.configure(app)
    n = 0
    for place in PLACES:
        for title, text in ISSUES:
            store("信箱", place + title, place + text, T0 + timedelta(minutes=n))
            n += 1
    app.clock.set(T0 + timedelta(hours=1))  # type: ignore[attr-defined]
    run(app)  # obligations opened, "new incident" alerts sent
    return app


def counts(app: App) -> dict[str, int]:
    with transaction(app.sessions) as session:
        return {
            "breached": int(session.scalar(select(func.count()).where(Obligation.state == "breached")) or 0),
            "breach_events": int(
                session.scalar(select(func.count()).where(AuditEvent.action == "obligation.breach")) or 0
            ),
            "outbox": int(session.scalar(select(func.count()).select_from(AlertOutbox)) or 0),
        }


def test_sigkill_mid_sweep_then_rerun(tmp_path: Path, db_url: str) -> None:
    app = build(tmp_path, db_url)
    with transaction(app.sessions) as session:
        obligations = session.scalars(select(Obligation)).all()
        due = {o.id: o.due_at for o in obligations if o.state == "pending" and o.due_at <= LATE}
    assert len(due) == len(PLACES) * len(ISSUES)
    before = counts(app)
    assert before["breached"] == 0 and before["outbox"] > 0

    killed = sweep_in_child(app, "queue", n=len(due))  # half the breach step's alerts queued, then killed
    assert killed.returncode == -9, killed.stderr[-2000:]
    assert counts(app) == before  # the breach step is one transaction: nothing of it survived

    killed = sweep_in_child(app, "step", n=0)
    assert killed.returncode == -9, killed.stderr[-2000:]
    mid = counts(app)
    assert mid["breached"] == mid["breach_events"] == len(due)  # committed before the kill, and kept
    assert mid["outbox"] == before["outbox"] + 2 * len(due)  # breach + first escalation, not yet sent

    done = sweep_in_child(app)
    assert done.returncode == 0, done.stderr[-2000:]
    run(app, LATE)  # and once more in this process: idempotent
    assert counts(app) == mid

    with transaction(app.sessions) as session:
        for ob in session.scalars(select(Obligation).where(Obligation.id.in_(due))):
            assert ob.state == "breached" and ob.breached_at == due[ob.id]
        breach_ids = Counter(
            session.scalars(select(AuditEvent.entity_id).where(AuditEvent.action == "obligation.breach"))
        )
        rows = session.scalars(select(AlertOutbox)).all()
    assert breach_ids == Counter(set(due))  # each obligation breached exactly once
    keys = [r.dedupe_key for r in rows]
    assert len(keys) == len(set(keys))
    for ob_id in due:
        assert sum(k.startswith(f"ob:{ob_id}:breach|") for k in keys) == 1
        assert sum(k.startswith(f"ob:{ob_id}:esc:1|") for k in keys) == 1
    assert all(r.sent_at is not None and not r.failed for r in rows)
    lines = (tmp_path / "var" / "alerts.jsonl").read_text(encoding="utf-8").splitlines()
    messages = [(m["title"], m["body"]) for m in map(json.loads, lines)]
    assert len(messages) == len(rows) == len(set(messages))  # each alert delivered once
    assert chain_problems(app) == []
