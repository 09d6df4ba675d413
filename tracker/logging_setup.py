"""Process logging: readable text lines by default, or one JSON object per line for log collectors
(``YUQING_LOG_FORMAT=json``: Loki, ELK, a government cloud's log service).

A JSON line has ``time`` (ISO 8601 with the +08:00 offset, milliseconds), ``level``, ``logger`` and
``message``, then every ``extra={...}`` field the call passed, and ``exc_info`` / ``stack_info`` when
present. Non-ASCII text is written as is (Chinese stays readable with ``tail -f``); values that JSON cannot
hold are written as their ``str()``.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import IO, Any

from tracker.clock import to_beijing
from tracker.errors import ConfigError

ENV_VAR = "YUQING_LOG_FORMAT"
FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
TEXT_DATEFMT = "%Y-%m-%d %H:%M:%S"
#: attributes every LogRecord has: anything else on a record came from ``extra=``
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}
#: libraries whose INFO/DEBUG lines are noise for operators, or worse: urllib3 logs request lines at
#: DEBUG, and a WeCom URL carries its key
QUIET = ("apscheduler", "waitress", "alembic", "urllib3")


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        # record.created is the time logging itself stamped on the record: no clock is read here
        at = to_beijing(datetime.fromtimestamp(record.created, UTC))
        data: dict[str, Any] = {
            "time": at.isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_") and key not in data:
                data[key] = value
        if record.exc_info:
            data["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            data["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(data, ensure_ascii=False, default=str)


def log_format(environ: Mapping[str, str] | None = None) -> str:
    """The format named by YUQING_LOG_FORMAT ("text" when unset); anything else is a clear error."""
    value = (os.environ if environ is None else environ).get(ENV_VAR, "").strip().lower() or "text"
    if value not in FORMATS:
        raise ConfigError(f"环境变量 {ENV_VAR} 的值 {value!r} 无效：可用 text 或 json")
    return value


def make_handler(fmt: str, stream: IO[str] | None = None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT, datefmt=TEXT_DATEFMT))
    return handler


def configure(
    level: int = logging.INFO, environ: Mapping[str, str] | None = None, stream: IO[str] | None = None
) -> str:
    """Set up the root logger once per process (like ``logging.basicConfig``: a process that already has
    handlers keeps them). Returns the format in use."""
    fmt = log_format(environ)
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(make_handler(fmt, stream))
        root.setLevel(level)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    return fmt
