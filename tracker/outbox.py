"""Deliver the alert outbox through ``alerts``: at least once, never twice for the same row.

Every send is bracketed: the rows are claimed (``sending_since``) and committed, the message is sent, a
line naming the rows is appended to a journal file and fsync'ed, and only then is ``sent_at`` committed. If
the process dies after the send but before that commit, the journal proves the send on restart and the
rows are marked sent instead of being sent again; a row claimed but absent from the journal was never
accepted and is retried. Failures back off exponentially with jitter; rate limits are honoured per channel
and a burst beyond the limit is merged into one digest message (alerts.delivery)."""

from __future__ import annotations

import json
import logging
import os
import random
import threading
from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update

from alerts.channels import Channel, ChannelConfigError, make_channel, make_channel_from_config
from alerts.delivery import BatchResult, deliver
from alerts.digest import Batch, PendingAlert
from alerts.ratelimit import RateLimiter, RateState
from tracker.app import App
from tracker.db import transaction
from tracker.models import AlertOutbox

log = logging.getLogger(__name__)
BACKOFF_BASE = 30.0
BACKOFF_CAP = 3600.0
_limiters: dict[str, RateLimiter] = {}
_lock = threading.Lock()  # one dispatcher at a time per process (sweep job, "send test", CLI)


@dataclass
class DeliverResult:
    sent: int = 0
    failed: int = 0
    deferred: int = 0


def journal_path(app: App) -> Path:
    return app.path("var/outbox.journal")


def backoff(row_id: int, attempts: int) -> float:
    """Exponential with ±20% jitter, deterministic per row and attempt (so tests can reason about it)."""
    base = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempts - 1))
    return base * random.Random(row_id * 1000 + attempts).uniform(0.8, 1.2)


def _resolve(app: App, url: str) -> str:
    """``file://var/alerts.log`` is relative to the config file's folder, not to the working directory."""
    if url.startswith("file://") and not url.startswith("file:///"):
        return "file://" + str((app.root / url[len("file://") :]).resolve())
    return url


def channel_for(app: App, name: str) -> Channel:
    """A route's channel is a name from ``[alerts.channels.NAME]`` or an inline URL (``console://``).
    Channels sign requests with the application clock (tracker/clock.py), like everything else."""
    clock = lambda: app.clock.now().timestamp()  # noqa: E731 - a one-line adapter
    if "://" in name:
        return make_channel(_resolve(app, name), clock=clock)
    table = app.settings.alerts.channels.get(name)
    if table is None:
        raise ChannelConfigError(f"未定义的告警渠道“{name}”（请在 [alerts.channels.{name}] 中配置）")
    table = {**table, "url": _resolve(app, str(table.get("url", "")))}
    return make_channel_from_config(name, table, os.environ, clock=clock)


def _journal_ids(path: Path) -> set[int]:
    if not path.exists():
        return set()
    ids: set[int] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            ids.update(int(i) for i in json.loads(line)["ids"])
        except (ValueError, KeyError, TypeError):
            continue  # a torn last line from a crash mid-write: that send was not recorded as done
    return ids


def reconcile(app: App, now: datetime) -> int:
    """Settle rows left claimed by a process that died: sent if the journal says so, else retried."""
    path = journal_path(app)
    with transaction(app.sessions) as session:
        claimed = session.scalars(
            select(AlertOutbox).where(AlertOutbox.sending_since.is_not(None), AlertOutbox.sent_at.is_(None))
        ).all()
        if not claimed:
            if path.exists():
                path.unlink()  # every journalled send is recorded in the database: start afresh
            return 0
        done = _journal_ids(path)
        for row in claimed:
            if row.id in done:
                row.sent_at = row.sending_since
            row.sending_since = None
        return len(claimed)


def _append_journal(path: Path, ids: Sequence[Hashable]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps({"ids": list(ids)}) + "\n")
        f.flush()
        os.fsync(f.fileno())


def deliver_due(app: App, now: datetime, limit: int = 500) -> DeliverResult:
    with _lock:
        reconcile(app, now)
        with transaction(app.sessions) as session:
            rows = session.scalars(
                select(AlertOutbox)
                .where(
                    AlertOutbox.sent_at.is_(None),
                    AlertOutbox.failed.is_(False),
                    AlertOutbox.next_attempt_at <= now,
                    AlertOutbox.sending_since.is_(None),
                )
                .order_by(AlertOutbox.id)
                .limit(limit)
            ).all()
        by_channel: dict[str, list[AlertOutbox]] = defaultdict(list)
        for row in rows:
            by_channel[row.channel].append(row)
        result = DeliverResult()
        for name, channel_rows in by_channel.items():
            _deliver_channel(app, name, channel_rows, now, result)
        return result


def _deliver_channel(
    app: App, name: str, rows: list[AlertOutbox], now: datetime, result: DeliverResult
) -> None:
    try:
        channel = channel_for(app, name)
    except ChannelConfigError as exc:
        _fail(app, [r.id for r in rows], f"渠道未启用：{exc}", None, now, result)
        return
    limiter = _limiters.get(name) or _seeded_limiter(app, name, channel, now)
    _limiters[name] = limiter
    pending = [
        PendingAlert(r.id, r.title, r.body, mention_mobiles=tuple(r.mentions or ()), priority=_priority(r))
        for r in rows
    ]
    path = journal_path(app)

    def on_send(batch: Batch) -> None:
        with transaction(app.sessions) as session:
            session.execute(
                update(AlertOutbox).where(AlertOutbox.id.in_(batch.ids)).values(sending_since=now)
            )

    def on_result(res: BatchResult) -> None:
        ids = [int(str(i)) for i in res.batch.ids]
        if res.ok:
            _append_journal(path, ids)
            _crash_point()
            with transaction(app.sessions) as session:
                session.execute(
                    update(AlertOutbox)
                    .where(AlertOutbox.id.in_(ids))
                    .values(
                        sent_at=now,
                        sending_since=None,
                        attempts=AlertOutbox.attempts + 1,
                        last_error=("合并为汇总消息发送" if res.batch.is_digest else None),
                    )
                )
            result.sent += len(ids)
        else:
            _fail(app, ids, res.error or "发送失败", res.retry_after, now, result)

    report = deliver(
        channel, limiter, pending, lambda: app.clock.now().timestamp(), on_send=on_send, on_result=on_result
    )
    result.deferred += len(report.deferred)


def _seeded_limiter(app: App, name: str, channel: Channel, now: datetime) -> RateLimiter:
    """After a restart, count what this channel sent in the last ten minutes, so a restart cannot add a
    burst on top of a full window (DingTalk blocks a robot for 10 minutes when its limit is exceeded)."""
    with transaction(app.sessions) as session:
        recent = session.scalars(
            select(AlertOutbox.sent_at)
            .where(AlertOutbox.channel == name, AlertOutbox.sent_at >= now - timedelta(minutes=10))
            .distinct()
        ).all()
    return RateLimiter(channel.rate, RateState(sent=sorted(t.timestamp() for t in recent if t is not None)))


def _priority(row: AlertOutbox) -> int:
    order = {"breach": 5, "escalation": 5, "warning": 4, "new_incident": 3, "grade_change": 3}
    return order.get(row.event, 1)


def _fail(
    app: App, ids: list[int], error: str, retry_after: float | None, now: datetime, result: DeliverResult
) -> None:
    max_attempts = app.settings.alerts.max_attempts
    with transaction(app.sessions) as session:
        for row in session.scalars(select(AlertOutbox).where(AlertOutbox.id.in_(ids))):
            row.attempts += 1
            row.sending_since = None
            row.last_error = error[:2000]
            wait = max(retry_after or 0.0, backoff(row.id, row.attempts))
            row.next_attempt_at = now + timedelta(seconds=wait)
            if row.attempts >= max_attempts:
                row.failed = True
                log.error("告警 #%s 重试 %s 次仍失败，已停止重试：%s", row.id, row.attempts, error)
    result.failed += len(ids)


def _crash_point() -> None:
    """Tests kill the process exactly between a send and its commit (YUQING_TEST_CRASH_AFTER_SEND=1)."""
    if os.environ.get("YUQING_TEST_CRASH_AFTER_SEND") == "1":
        os.kill(os.getpid(), 9)


def send_test(app: App, route_name: str) -> list[str]:
    """`yuqing alerts test ROUTE` and the web's "send test": send now through each channel of the route."""
    from alerts.messages import format_notice
    from alerts.routing import find_route
    from tracker.clock import fmt_beijing
    from tracker.notify import routes_from_settings

    route = find_route(routes_from_settings(app.settings), route_name)
    title, body = format_notice(
        "test",
        f"测试消息（路由：{route.name}）",
        [f"发送时间：{fmt_beijing(app.clock.now(), True)}", "收到此消息说明该告警渠道配置正确。"],
        app.settings.web.base_url,
    )
    lines = []
    for name in route.channels:
        try:
            channel = channel_for(app, name)
        except ChannelConfigError as exc:
            lines.append(f"{name}：未启用（{exc}）")
            continue
        ok = channel.send(title, body, mention_mobiles=route.mention_mobiles)
        lines.append(f"{name}：{'发送成功' if ok else '发送失败：' + (channel.last_error or '')}")
    return lines
