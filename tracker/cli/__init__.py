"""The `yuqing` command line. Each area registers its subcommands from its own module.

A module in ``COMMAND_MODULES`` exposes ``register(subparsers) -> None``; each subparser sets
``func=handler`` where ``handler(args) -> int`` returns the exit code. User-facing text is Chinese.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from sqlalchemy.exc import DBAPIError

from tracker.errors import UserError

COMMAND_MODULES: tuple[str, ...] = (
    "tracker.cli.core",
    "tracker.cli.tracking",
    "tracker.cli.users",
    "tracker.cli.analysis",
    "tracker.cli.alerts",
    "tracker.cli.clock_cmds",
    "tracker.cli.ledger",
    "tracker.cli.ops",
)


class ChineseArgumentParser(argparse.ArgumentParser):
    """argparse with Chinese headings and help option; subcommand parsers inherit it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = "参数"
        self._optionals.title = "选项"
        self.add_argument("-h", "--help", action="help", help="显示帮助并退出")

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"错误：{_zh(message)}\n")


_ARGPARSE_ZH = (
    (re.compile(r"the following arguments are required: (.*)"), r"缺少必需的参数：\1"),
    (re.compile(r"unrecognized arguments: (.*)"), r"无法识别的参数：\1"),
    (
        re.compile(r"argument (.*?): invalid choice: (.*?) \(choose from (.*)\)"),
        r"参数 \1：无效的选项 \2（可选：\3）",
    ),
    (re.compile(r"argument (.*?): invalid int value: (.*)"), r"参数 \1：应为整数，实际是 \2"),
    (re.compile(r"argument (.*?): expected one argument"), r"参数 \1 需要一个值"),
)


def _zh(message: str) -> str:
    """argparse's own messages in Chinese (users read the CLI in Chinese)."""
    for pattern, replacement in _ARGPARSE_ZH:
        if pattern.match(message):
            return pattern.sub(replacement, message)
    return message


def build_parser() -> argparse.ArgumentParser:
    parser = ChineseArgumentParser(prog="yuqing", description="舆情回应跟踪 (yuqing) 命令行")
    parser.add_argument("--config", help="配置文件路径（默认取 YUQING_CONFIG 或 ./yuqing.toml）")
    sub = parser.add_subparsers(dest="command", metavar="命令")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # a real import error inside the module must not be hidden
                raise
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except UserError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `yuqing posts | head`: the reader left; not an error
        sys.stderr.close()
        return 0
    except DBAPIError as exc:  # no traceback for a database that is down, full or on an older schema
        detail = str(exc.orig).splitlines()[0] if exc.orig else type(exc).__name__
        print(
            f"错误：数据库操作失败（{detail}）。如果刚升级了程序，请先运行 yuqing db upgrade；"
            "如果数据库服务不可用，请检查 database.url 与数据库状态。",
            file=sys.stderr,
        )
        return 4


if __name__ == "__main__":  # python -m tracker.cli
    sys.exit(main())
