"""Alert commands: send a test through a route, list the outbox."""

from __future__ import annotations

import argparse
from typing import Any

from sqlalchemy import select

from tracker.cli.core import app_from_args
from tracker.clock import fmt_beijing
from tracker.db import transaction
from tracker.errors import UserError
from tracker.models import AlertOutbox


def register(sub: Any) -> None:
    p = sub.add_parser("alerts", help="告警：测试路由、查看发送队列")
    asub = p.add_subparsers(dest="alerts_command", metavar="操作")
    t = asub.add_parser("test", help="通过某条路由的每个渠道立即发送一条测试消息")
    t.add_argument("route", help="路由名称（[[alerts.routes]] 的 name）")
    t.set_defaults(func=cmd_test)
    o = asub.add_parser("outbox", help="列出待发送和发送失败的告警及最近错误")
    o.add_argument("--all", action="store_true", help="包括已发送的")
    o.add_argument("--limit", type=int, default=50)
    o.set_defaults(func=cmd_outbox)


def cmd_test(args: argparse.Namespace) -> int:
    from alerts.routing import RouteConfigError
    from tracker.outbox import send_test

    app = app_from_args(args)
    try:
        lines = send_test(app, args.route)
    except RouteConfigError as exc:
        raise UserError(str(exc)) from None
    for line in lines:
        print(line)
    return 0 if all("发送成功" in line for line in lines) else 1


def cmd_outbox(args: argparse.Namespace) -> int:
    app = app_from_args(args)
    with transaction(app.sessions) as session:
        q = select(AlertOutbox).order_by(AlertOutbox.id.desc()).limit(args.limit)
        if not args.all:
            q = q.where(AlertOutbox.sent_at.is_(None))
        rows = session.scalars(q).all()
        if not rows:
            print("告警队列为空：没有待发送或失败的告警")
        for r in rows:
            state = (
                ("已发送 " + fmt_beijing(r.sent_at)) if r.sent_at else ("已放弃" if r.failed else "待发送")
            )
            print(
                f"#{r.id} [{state}] {r.route}/{r.channel} 尝试 {r.attempts} 次 "
                f"下次 {fmt_beijing(r.next_attempt_at)}\n    {r.title}"
            )
            if r.last_error:
                print(f"    最近错误：{r.last_error}")
    return 0
