"""Operations commands: ``yuqing backup [--out FILE]`` and ``yuqing restore FILE [--yes] [--force]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tracker.cli.core import app_from_args
from tracker.errors import UserError

TABLE_NAMES = {
    "incidents": "事件",
    "posts": "帖子",
    "obligations": "时限",
    "responses": "回应",
    "commitments": "承诺",
    "alert_outbox": "告警",
    "audit_events": "审计记录",
}


def register(sub: Any) -> None:
    p = sub.add_parser("backup", help="备份数据库及 var/ 中的盐值、审计锚点、告警日志（.tar.gz）")
    p.add_argument(
        "--out", help="备份文件路径或已有目录（默认 var/backups/yuqing-年月日-时分秒.tar.gz，北京时间）"
    )
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="从 yuqing backup 生成的备份恢复（覆盖当前数据库，旧数据另存）")
    p.add_argument("file", help="备份文件（.tar.gz；SQLite 也可以是单独的数据库文件）")
    p.add_argument("--yes", action="store_true", help="不再询问确认")
    p.add_argument("--force", action="store_true", help="即使调度进程心跳未过期也恢复（确认它已停止时使用）")
    p.set_defaults(func=cmd_restore)


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


def _counts(counts: dict[str, int]) -> str:
    return "，".join(f"{TABLE_NAMES.get(k, k)} {v}" for k, v in counts.items()) or "（无统计）"


def cmd_backup(args: argparse.Namespace) -> int:
    from tracker.backup import backup

    app = app_from_args(args)
    result = backup(app, Path(args.out) if args.out else None)
    m = result.manifest
    print(f"备份完成：{result.path}（{_size(result.size)}）")
    print(f"  数据库：{m.backend}，迁移版本 {m.revision or '无'}；{_counts(m.counts)}")
    print(f"  附带文件：{'、'.join(m.files) or '无'}")
    print("  备份文件含作者哈希盐值与密码哈希，请像保管密钥一样保管（已设为仅所有者可读）。")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from tracker.backup import read_manifest
    from tracker.restore import restore

    app = app_from_args(args)
    path = Path(args.file)
    m = read_manifest(path)
    when = f"，备份时间 {m.created_at}" if m.created_at else ""
    print(f"备份文件：{path}（{m.backend}{when}，迁移版本 {m.revision or '无'}）")
    print(f"  内容：{_counts(m.counts)}；附带文件：{'、'.join(m.files) or '无'}")
    if not args.yes:
        _confirm()
    result = restore(app, path, force=args.force)
    print(f"恢复完成，数据库迁移版本 {result.revision}。")
    for kept in result.kept:
        print(f"  原有数据已另存：{kept}")
    print("请重新启动 yuqing run 与网页服务，并运行 yuqing audit verify 检查审计链。")
    return 0


def _confirm() -> None:
    if not sys.stdin.isatty():
        raise UserError("恢复会覆盖当前数据库：确认无误后请加 --yes 重新运行")
    answer = input("恢复会覆盖当前数据库（原数据另存）。输入 yes 继续：").strip().lower()
    if answer != "yes":
        raise UserError("已取消恢复")
