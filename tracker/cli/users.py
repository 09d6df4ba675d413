"""``yuqing user add/passwd/list``: accounts for the web UI.

    yuqing user add admin --role admin             (asks for the password twice)
    yuqing user add 教育局值班 --role unit --unit 市教育局
    echo "$PW" | yuqing user passwd admin --password-stdin
    yuqing user list

Passwords are never taken as command-line arguments: those end up in shell history and `ps` output.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.auth import ROLES, create_user, find_user, list_users, set_password
from tracker.clock import fmt_beijing
from tracker.db import transaction
from tracker.errors import UserError
from tracker.models import Unit

ACTOR = "命令行"


def register(sub: Any) -> None:
    user = sub.add_parser("user", help="网页用户：新增、改密码、列表").add_subparsers(
        dest="what", metavar="操作"
    )
    roles = "、".join(f"{k}（{v}）" for k, v in ROLES.items())
    p = user.add_parser("add", help="新增用户（交互输入密码，或用 --password-stdin）")
    p.add_argument("username", help="用户名")
    p.add_argument("--role", required=True, choices=list(ROLES), help=f"角色：{roles}")
    p.add_argument("--unit", help="所属单位名称（单位用户必填）")
    p.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码（一行）")
    p.set_defaults(func=cmd_add)

    p = user.add_parser("passwd", help="修改用户密码（该用户已有的登录随之失效）")
    p.add_argument("username", help="用户名")
    p.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码（一行）")
    p.set_defaults(func=cmd_passwd)

    p = user.add_parser("list", help="列出用户")
    p.set_defaults(func=cmd_list)


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise UserError("标准输入中没有密码")
        return line
    if not sys.stdin.isatty():
        raise UserError("非交互环境请使用 --password-stdin 从标准输入提供密码")
    first = getpass.getpass("密码：")
    if first != getpass.getpass("再次输入密码："):
        raise UserError("两次输入的密码不一致")
    return first


def _unit_id(session: Session, name: str | None, settings: Any) -> int | None:
    if not name:
        return None
    unit = session.scalar(select(Unit).where(Unit.name == name.strip()))
    if unit is None and any(u.name == name.strip() for u in settings.units):
        from tracker.catalog import sync_catalog  # configured but not yet mirrored into the database

        sync_catalog(session, settings)
        session.flush()
        unit = session.scalar(select(Unit).where(Unit.name == name.strip()))
    if unit is None:
        known = "、".join(session.scalars(select(Unit.name).order_by(Unit.name))) or "（尚未配置单位）"
        raise UserError(f"没有名为“{name}”的单位；已有：{known}")
    return unit.id


def _app(args: argparse.Namespace) -> Any:
    from tracker.cli.core import app_from_args

    return app_from_args(args)


def cmd_add(args: argparse.Namespace) -> int:
    app = _app(args)
    if args.role == "unit" and not args.unit:
        raise UserError("单位用户需要用 --unit 指定所属单位")
    password = read_password(args.password_stdin)
    with transaction(app.sessions) as session:
        unit_id = _unit_id(session, args.unit, app.settings)
        user = create_user(session, args.username, password, args.role, unit_id, ACTOR, app.clock.now())
        print(f"已创建用户 {user.username}（{ROLES[user.role]}{'，' + args.unit if unit_id else ''}）")
    return 0


def cmd_passwd(args: argparse.Namespace) -> int:
    app = _app(args)
    with transaction(app.sessions) as session:
        user = find_user(session, args.username)
        if user is None:
            raise UserError(f"没有用户 {args.username}")
        password = read_password(args.password_stdin)
        set_password(session, user, password, ACTOR, app.clock.now())
        print(f"已修改 {user.username} 的密码")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    app = _app(args)
    with app.sessions() as session:
        units = dict(session.execute(select(Unit.id, Unit.name)).all())
        users = list_users(session)
        if not users:
            print("尚无用户：可运行 yuqing user add 用户名 --role admin 创建管理员")
        for u in users:
            unit = units.get(u.unit_id, "") if u.unit_id else ""
            state = "" if u.active else "（已停用）"
            print(f"{u.username}\t{ROLES.get(u.role, u.role)}\t{unit}\t{fmt_beijing(u.created_at)}{state}")
    return 0
