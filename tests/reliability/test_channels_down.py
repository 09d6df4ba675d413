"""Every alert channel down for over an hour of simulated time, then back: each alert arrives exactly once.

Three channels fail in their own way: a WeCom robot answering HTTP 200 with an error code (how WeCom reports
"system busy"), a webhook receiver answering 503, and a file channel whose path is blocked by a directory.
The sweep runs every simulated minute through the outage and after it, as the daemon would.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.alerts.mockservers import Reply, Request, WebhookMock, WeComMock
from tests.conftest import T0, make_app
from tests.tracker.helpers import food_story, store
from tracker import ingest
from tracker.app import App
from tracker.clock import FrozenClock
from tracker.db import transaction
from tracker.models import AlertOutbox
from tracker.outbox import BACKOFF_CAP, _limiters, backoff
from tracker.sweep import run

KEY = "0b1c2d3e-aaaa-4bbb-8ccc-feedfacecafe"
OUTAGE = timedelta(minutes=65)
#: the outage starts here: the 5-hour deadline of the food story (first post at T0) falls inside it
START = T0 + timedelta(hours=4, minutes=20)
OTHERS = [
    ("建设路积水严重", "市民反映建设路与人民路交叉口雨后积水严重，电动车熄火，希望尽快处理。"),
    (
        "某建筑工地拖欠农民工工资",
        "某建筑工地拖欠二十多名农民工工资半年，工人多次讨要无果，要求有关部门介入。",
    ),
    ("老旧小区停水三天无人管", "幸福小区停水已经三天，物业和自来水公司互相推诿，居民生活困难。"),
]


class DownWeCom(WeComMock):
    down = True

    def respond(self, req: Request) -> Reply:
        if self.down:
            return Reply.of({"errcode": -1, "errmsg": "system busy"})
        return super().respond(req)


class DownWebhook(WebhookMock):
    down = True

    def respond(self, req: Request) -> Reply:
        return Reply(503, b"Service Unavailable") if self.down else super().respond(req)


@pytest.fixture
def services(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[DownWeCom, DownWebhook, FrozenClock]]:
    monkeypatch.setenv("YUQING_T_WECOM_KEY", KEY)
    clock = FrozenClock(T0)
    wecom = DownWeCom(key=KEY, limit=10_000)  # the mock's limit is a lifetime count, not per minute
    hook = DownWebhook(secret=None, now=lambda: clock.now().timestamp())
    _limiters.clear()
    yield wecom, hook, clock
    wecom.close()
    hook.close()
    _limiters.clear()


def make(tmp_path: Path, wecom: DownWeCom, hook: DownWebhook, clock: FrozenClock) -> App:
    extra = f"""
[alerts.channels."值班群"]
url = "wecom://?base_url={wecom.base_url}"
key_env = "YUQING_T_WECOM_KEY"

[alerts.channels."办公系统"]
url = "webhook://127.0.0.1:{hook.port}/hooks/yuqing?unsigned=1"

[[alerts.routes]]
name = "全部"
channels = ["值班群", "办公系统"]
"""
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'y.db'}", extra)
    app.clock = clock
    ingest.configure(app)
    return app


def test_twelve_attempts_outlast_an_hour() -> None:
    """alerts.max_attempts = 12 with backoff capped at 1 h: even at the low end of the jitter, the
    first 11 waits (the 12th failure gives up) add up to well over an hour of outage."""
    low = sum(min(BACKOFF_CAP, 30.0 * 2 ** (n - 1)) * 0.8 for n in range(1, 12))
    assert low > 3 * 3600
    for row_id in range(1, 50):
        assert sum(backoff(row_id, n) for n in range(1, 12)) > 3 * 3600


def test_all_channels_down_for_an_hour_then_back(
    tmp_path: Path, services: tuple[DownWeCom, DownWebhook, FrozenClock]
) -> None:
    wecom, hook, clock = services
    app = make(tmp_path, wecom, hook, clock)
    blocker = tmp_path / "var" / "alerts.jsonl"  # the file channel of the base config's route
    blocker.mkdir(parents=True)
    food_story(T0)
    for i, (title, text) in enumerate(OTHERS):
        store("新闻", title, text, START + timedelta(minutes=10 * i))
    clock.set(START)
    minute = timedelta(minutes=1)
    while clock.now() < START + OUTAGE:  # new incidents, warnings and the breach all queue meanwhile
        run(app)
        clock.set(clock.now() + minute)
    with transaction(app.sessions) as session:
        rows = session.scalars(select(AlertOutbox)).all()
        assert rows and all(r.sent_at is None for r in rows)
        assert all(not r.failed for r in rows)
        assert max(r.attempts for r in rows) >= 5  # retried all along, not parked
    assert wecom.requests and hook.requests and not wecom.accepted and not hook.accepted
    failing_attempts = len(wecom.requests)

    wecom.down = hook.down = False
    blocker.rmdir()
    deadline = clock.now() + timedelta(hours=3)
    while clock.now() < deadline and _pending(app):
        run(app)
        clock.set(clock.now() + minute)
    assert not _pending(app), "所有告警应在渠道恢复后送达"
    assert len(wecom.requests) > failing_attempts

    with transaction(app.sessions) as session:
        rows = session.scalars(select(AlertOutbox)).all()
        assert all(r.sent_at is not None and not r.failed for r in rows)
        assert all(r.digest_of is None and r.last_error is None for r in rows)  # one message per alert
        per_channel = Counter(r.channel for r in rows)
        expected = {name: sorted(r.title for r in rows if r.channel == name) for name in per_channel}
    assert set(per_channel) == {"值班群", "办公系统", "日志"}
    got_wecom = sorted(_wecom_title(r) for r in wecom.accepted)
    got_hook = sorted(r.json()["title"] for r in hook.accepted)
    got_file = sorted(json.loads(x)["title"] for x in blocker.read_text(encoding="utf-8").splitlines())
    assert got_hook == expected["办公系统"]
    assert got_file == expected["日志"]
    assert got_wecom == expected["值班群"]
    assert min(per_channel.values()) >= 5  # new incidents, the breach and its escalation, per channel
    assert {r.event for r in rows} >= {"new_incident", "breach", "escalation"}


def _wecom_title(req: Request) -> str:
    msg = req.json()
    content = str(msg[msg["msgtype"]]["content"])  # markdown, or text when someone is @-mentioned
    return content.splitlines()[0].strip("*")


def _pending(app: App) -> int:
    with transaction(app.sessions) as session:
        return len(session.scalars(select(AlertOutbox.id).where(AlertOutbox.sent_at.is_(None))).all())
