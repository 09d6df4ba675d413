"""Core commands: init, run, db upgrade, crawl, posts, incidents, status, sweep."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from tracker.app import App, load_app
from tracker.db import transaction
from tracker.errors import UserError


def app_from_args(args: argparse.Namespace) -> App:
    return load_app(getattr(args, "config", None))


def setup_logging(level: int = logging.INFO) -> None:
    """Text lines, or JSON lines with YUQING_LOG_FORMAT=json (tracker/logging_setup.py)."""
    from tracker.logging_setup import configure

    configure(level)


def register(sub: Any) -> None:
    p = sub.add_parser("init", help="生成配置文件、初始化数据库并创建首个管理员")
    p.add_argument("--force", action="store_true", help="覆盖已有的配置文件")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("run", help="启动守护进程（调度抓取、巡检、告警）和网页界面")
    p.add_argument("--no-web", action="store_true", help="只运行调度器，不启动网页界面")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("db", help="数据库维护")
    dbsub = p.add_subparsers(dest="db_command", metavar="操作")
    up = dbsub.add_parser("upgrade", help="执行数据库迁移到最新版本")
    up.set_defaults(func=cmd_db_upgrade)

    p = sub.add_parser("crawl", help="立即抓取一个来源（子进程），并打印汇总")
    p.add_argument("source", help="来源名称（[[sources]] 的 name）")
    p.set_defaults(func=cmd_crawl)

    p = sub.add_parser("sweep", help="立即执行一次巡检（时限、预警、告警发送）")
    p.add_argument("--no-deliver", action="store_true", help="只写入告警队列，不发送")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("posts", help="列出帖子")
    p.add_argument("--format", choices=["table", "jsonl"], default="table")
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--incident", type=int, help="只列出某事件的帖子")
    p.set_defaults(func=cmd_posts)

    p = sub.add_parser("incidents", help="列出舆情事件及其时限")
    p.add_argument("--format", choices=["table", "jsonl"], default="table")
    p.add_argument("--all", action="store_true", help="包含已关闭和已合并的事件")
    p.add_argument("--limit", type=int, default=100)
    p.set_defaults(func=cmd_incidents)

    p = sub.add_parser("nodes", help="检查 Scrapyd 抓取节点（crawl.runner = scrapyd 时）")
    p.set_defaults(func=cmd_nodes)

    p = sub.add_parser("status", help="来源健康、待办时限和告警队列")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.set_defaults(func=cmd_status)


def cmd_init(args: argparse.Namespace) -> int:
    target = Path(args.config or "yuqing.toml")
    if target.exists() and not args.force:
        print(f"配置文件已存在：{target}（未覆盖；如需重新生成请加 --force）")
    else:
        from tracker.crawl_runner import project_dir

        example = project_dir() / "yuqing.example.toml"
        if not example.exists():  # an installed wheel has no source checkout beside it
            raise UserError(
                f"找不到配置示例 {example}：请在源码目录中运行 yuqing init，或按 docs/configuration.md 编写 yuqing.toml"
            )
        target.write_text(example.read_text(encoding="utf-8"), encoding="utf-8")
        print(f"已生成配置文件：{target}")
    app = load_app(str(target))
    from tracker.catalog import sync_catalog
    from tracker.migrate import upgrade

    upgrade(app.engine)
    with transaction(app.sessions) as session:
        sync_catalog(session, app.settings)
    print(f"数据库已就绪：{app.engine.url.render_as_string(hide_password=True)}")
    _first_admin(app)
    return 0


def _first_admin(app: App) -> None:
    """Create the first admin once, with a random password shown once and kept in a 0600 file."""
    import secrets

    from tracker.models import User

    with transaction(app.sessions) as session:
        if session.scalar(select(func.count()).select_from(User)):
            return
    from tracker.auth import create_user

    password = secrets.token_urlsafe(12)
    with transaction(app.sessions) as session:
        create_user(session, "admin", password, "admin", None, "初始化", app.clock.now())
    path = app.path("var/initial-admin-password.txt")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"用户名: admin\n密码: {password}\n", encoding="utf-8")
    path.chmod(0o600)
    print(f"已创建管理员账号 admin，初始密码：{password}（已保存到 {path}，登录后请修改）")


def cmd_run(args: argparse.Namespace) -> int:
    setup_logging()
    from tracker.daemon import run_daemon

    return run_daemon(app_from_args(args), web=not args.no_web)


def cmd_nodes(args: argparse.Namespace) -> int:
    from tracker.scrapyd import check_nodes

    app = app_from_args(args)
    if not app.settings.crawl.scrapyd_nodes:
        raise UserError("未配置 Scrapyd 节点（crawl.scrapyd_nodes）")
    problems = check_nodes(app)
    for line in problems:
        print(line)
    return 1 if problems else 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from tracker.migrate import current, upgrade

    app = app_from_args(args)
    upgrade(app.engine)
    print(f"数据库已迁移到最新版本：{current(app.engine)}")
    return 0


def cmd_crawl(args: argparse.Namespace) -> int:
    setup_logging(logging.WARNING)
    from tracker.crawl_runner import run_crawl
    from tracker.migrate import upgrade

    app = app_from_args(args)
    upgrade(app.engine)
    replay = None
    cfg = app.settings.source(args.source)
    if cfg is not None and cfg.kind == "replay" and not _port_answers(app.settings.crawl.replay_port):
        from tracker.daemon import start_replay_site

        replay = start_replay_site(app)  # the daemon (when running) already serves it
    try:
        summary = run_crawl(app, args.source)
    finally:
        if replay is not None:
            replay.stop()  # type: ignore[attr-defined]
    print(summary.line())
    return 0 if summary.ok else 1


def _port_answers(port: int) -> bool:
    import socket

    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from tracker.sweep import run

    report = run(app_from_args(args), deliver=not args.no_deliver)
    print(
        f"巡检完成：处理事件 {report.policy_applied}，新开时限 {report.opened}，超时 {report.breached}，"
        f"预警 {report.warned}，升级 {report.escalated}，承诺 {report.commitments}，"
        f"发送告警 {report.delivered}，发送失败 {report.failed}"
    )
    return 0


def cmd_posts(args: argparse.Namespace) -> int:
    from tracker.listing import post_rows

    app = app_from_args(args)
    with transaction(app.sessions) as session:
        rows = post_rows(session, args.limit, args.incident)
    if args.format == "jsonl":
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return 0
    for r in rows:
        print(
            f"{(r['published_at'] or '')[:16]:16}  {r['source'][:10]:10}  {r['category']:28}  "
            f"{r['sentiment']:.2f}  #{r['incident_id']}  {r['title'][:40]}"
        )
    return 0


def cmd_incidents(args: argparse.Namespace) -> int:
    from tracker.listing import incident_rows

    app = app_from_args(args)
    with transaction(app.sessions) as session:
        rows = incident_rows(session, app.clock.now(), args.limit, include_closed=args.all)
    if args.format == "jsonl":
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return 0
    for r in rows:
        print(
            f"#{r['id']:<5} [{r['grade_name']}] {r['title'][:40]}  {r['category_name']}  帖子 {r['post_count']}"
        )
        for ob in r["obligations"]:
            print(
                f"        {ob['kind']:8} 截止 {ob['due'][:16]} {ob['state_name']}{' 暂定' if ob['provisional'] else ''}"
            )
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from tracker.listing import status

    app = app_from_args(args)
    with transaction(app.sessions) as session:
        data = status(session, app.clock.now())
    if args.format == "json":
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    print("来源：")
    for s in data["sources"]:
        health = "正常" if not s["consecutive_failures"] else f"连续失败 {s['consecutive_failures']} 次"
        print(
            f"  {s['name']:16} {s['kind']:9} {health:12} 最近成功 {s['last_ok_at'] or '从未'}"
            f"  帖子 {s['total_posts']}" + (f"\n      最近错误：{s['last_error']}" if s["last_error"] else "")
        )
    ob = data["obligations"]
    print(f"时限：待办 {ob['pending']}（其中暂定 {ob['provisional']}），已超时未办 {ob['breached']}")
    box = data["outbox"]
    print(f"告警队列：待发送 {box['pending']}，已放弃 {box['failed']}，已发送 {box['sent']}")
    if data["scheduler"]:
        print(f"调度进程：{data['scheduler']['owner']}，心跳 {data['scheduler']['heartbeat_at']}")
    else:
        print("调度进程：未运行")
    return 0
