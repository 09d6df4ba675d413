"""The outbox through real channel code to local mocks of WeCom and DingTalk: routing by grade, retry after a
failure without duplicates, a burst over the 20/min limit merged into a digest, secrets kept out of errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.alerts.mockservers import DingTalkMock, Reply, WeComMock
from tests.conftest import T0, make_app
from tests.tracker.helpers import food_story, store
from tracker import ingest
from tracker.app import App
from tracker.clock import FrozenClock
from tracker.db import transaction
from tracker.models import AlertOutbox
from tracker.outbox import _limiters
from tracker.sweep import run

KEY = "6f1e2d3c-aaaa-4bbb-8ccc-0123456789ab"
TOKEN, SECRET = "a1b2c3d4e5f6token", "SECf00dbabe+/=secret"


@pytest.fixture
def mocks(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[WeComMock, DingTalkMock, FrozenClock]]:
    monkeypatch.setenv("YUQING_T_WECOM_KEY", KEY)
    monkeypatch.setenv("YUQING_T_DING_TOKEN", TOKEN)
    monkeypatch.setenv("YUQING_T_DING_SECRET", SECRET)
    clock = FrozenClock(T0)
    wecom = WeComMock(key=KEY)
    ding = DingTalkMock(token=TOKEN, secret=SECRET, now=lambda: clock.now().timestamp())
    _limiters.clear()
    yield wecom, ding, clock
    wecom.close()
    ding.close()
    _limiters.clear()


def app_with_channels(tmp_path: Path, wecom: WeComMock, ding: DingTalkMock, clock: FrozenClock) -> App:
    extra = f"""
[alerts.channels."值班群"]
url = "wecom://?base_url={wecom.base_url}"
key_env = "YUQING_T_WECOM_KEY"

[alerts.channels."领导群"]
url = "dingtalk://?base_url={ding.base_url}"
token_env = "YUQING_T_DING_TOKEN"
secret_env = "YUQING_T_DING_SECRET"

[[alerts.routes]]
name = "重大以上"
channels = ["值班群", "领导群"]
min_grade = "重大"
"""
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'y.db'}", extra)
    app.clock = clock
    ingest.configure(app)
    return app


def test_routes_deliver_to_wecom_and_dingtalk_and_retry_once(tmp_path: Path, mocks) -> None:  # type: ignore[no-untyped-def]
    wecom, ding, clock = mocks
    app = app_with_channels(tmp_path, wecom, ding, clock)
    store(
        "新闻", "公交线路调整", "12路公交线路下周起调整，市民反映不方便。", T0
    )  # 一般: not on the 重大 route
    food_story(T0)
    clock.set(T0 + timedelta(minutes=70))
    ding.force(Reply(status=500, body=b"busy"))  # DingTalk fails once
    report = run(app)
    assert len(wecom.accepted) == 1 and "【舆情预警·重大】" in wecom.accepted[0].json()["markdown"]["content"]
    assert report.failed == 1 and not ding.accepted_at
    with transaction(app.sessions) as session:
        failed = session.scalars(select(AlertOutbox).where(AlertOutbox.sent_at.is_(None))).all()
        assert len(failed) == 1 and failed[0].route == "重大以上" and failed[0].channel == "领导群"
        assert SECRET not in (failed[0].last_error or "") and TOKEN not in (failed[0].last_error or "")
        retry_at = failed[0].next_attempt_at
    clock.set(retry_at)
    run(app)
    assert len(ding.accepted_at) == 1 and len(wecom.accepted) == 1  # delivered once each
    clock.set(retry_at + timedelta(minutes=5))
    run(app)
    assert len(ding.accepted_at) == 1 and len(wecom.accepted) == 1


def test_burst_over_the_limit_becomes_a_digest(tmp_path: Path, mocks) -> None:  # type: ignore[no-untyped-def]
    from alerts.routing import AlertEvent
    from tracker.notify import queue

    wecom, ding, clock = mocks
    app = app_with_channels(tmp_path, wecom, ding, clock)
    with transaction(app.sessions) as session:
        for i in range(30):  # a burst: 30 alerts for the 重大 route at once
            queue(
                session,
                app.settings,
                f"burst:{i}",
                AlertEvent(kind="breach", grade="重大"),
                f"【舆情预警·重大】已超时：事件{i}",
                f"**事件**：第{i}号事件\n> 已超时{i}分钟",
                clock.now(),
            )
    result = run(app)
    contents = [r.json()["markdown"]["content"] for r in wecom.accepted]
    assert len(contents) <= 20  # never over WeCom's 20 per minute
    assert any("汇总" in c for c in contents)
    with transaction(app.sessions) as session:
        rows = session.scalars(select(AlertOutbox).where(AlertOutbox.channel == "值班群")).all()
    assert len(rows) == 30 and all(r.sent_at is not None for r in rows)  # merged, never dropped
    assert sum(c.count("第") for c in contents) >= 30
    assert result.failed == 0
