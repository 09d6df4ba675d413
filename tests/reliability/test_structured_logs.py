"""Structured logs (YUQING_LOG_FORMAT=json): one JSON object per line that a log collector can parse,
with the time in ISO 8601 with its offset, the level, the logger, the message and the extra fields."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tracker.errors import ConfigError
from tracker.logging_setup import JsonFormatter, configure, log_format

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import logging
from tracker.cli.core import setup_logging
setup_logging()
log = logging.getLogger("tracker.sweep")
log.info("巡检完成：超时 %s 项", 3, extra={"source": "临江新闻网", "count": 3})
logging.getLogger("urllib3.connectionpool").info("POST /cgi-bin/webhook/send?key=SECRET")
try:
    1 / 0
except ZeroDivisionError:
    log.exception("发送失败")
"""


def record(msg: str, *args: object, **extra: object) -> logging.LogRecord:
    rec = logging.LogRecord("tracker.outbox", logging.WARNING, __file__, 1, msg, args, None)
    rec.__dict__.update(extra)
    return rec


def test_json_line_has_time_level_logger_message_and_extras() -> None:
    rec = record("告警 #%s 发送失败", 7, route="值班室", attempts=3, when=datetime(2026, 11, 23, tzinfo=UTC))
    line = JsonFormatter().format(rec)
    assert "\n" not in line
    data = json.loads(line)
    assert data["level"] == "WARNING" and data["logger"] == "tracker.outbox"
    assert data["message"] == "告警 #7 发送失败"
    assert data["route"] == "值班室" and data["attempts"] == 3
    assert data["when"] == "2026-11-23 00:00:00+00:00"  # not JSON-native: written as str()
    at = datetime.fromisoformat(data["time"])
    assert data["time"].endswith("+08:00") and at.utcoffset() is not None
    assert abs(at.timestamp() - rec.created) < 0.001
    assert "msg" not in data and "args" not in data and "levelno" not in data  # no LogRecord internals


def test_exception_is_kept_inside_the_one_line() -> None:
    try:
        raise ValueError("坏数据\n第二行")
    except ValueError:
        rec = logging.LogRecord("x", logging.ERROR, __file__, 1, "失败", None, sys.exc_info())
    line = JsonFormatter().format(rec)
    assert line.count("\n") == 0
    assert "ValueError: 坏数据" in json.loads(line)["exc_info"]


def test_format_comes_from_the_environment_and_bad_values_are_named() -> None:
    assert log_format({}) == "text"
    assert log_format({"YUQING_LOG_FORMAT": "JSON"}) == "json"
    with pytest.raises(ConfigError, match=r"YUQING_LOG_FORMAT.*text 或 json"):
        log_format({"YUQING_LOG_FORMAT": "xml"})


def test_configure_leaves_an_already_configured_process_alone() -> None:
    root = logging.getLogger()
    before = list(root.handlers)
    if not before:  # pytest normally has its handlers on the root logger already
        pytest.skip("root logger has no handlers in this run")
    stream = io.StringIO()
    assert configure(logging.INFO, {"YUQING_LOG_FORMAT": "json"}, stream) == "json"
    assert root.handlers == before and stream.getvalue() == ""


def run_child(fmt: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "YUQING_LOG_FORMAT"}
    if fmt is not None:
        env["YUQING_LOG_FORMAT"] = fmt
    return subprocess.run(
        [sys.executable, "-c", CHILD],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_cli_logging_in_json() -> None:
    done = run_child("json")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(x) for x in done.stderr.splitlines()]  # every line is one JSON object
    assert [x["message"] for x in lines] == ["巡检完成：超时 3 项", "发送失败"]  # urllib3 INFO kept out
    assert lines[0]["source"] == "临江新闻网" and lines[0]["count"] == 3 and lines[0]["level"] == "INFO"
    assert "ZeroDivisionError" in lines[1]["exc_info"] and lines[1]["level"] == "ERROR"
    assert "SECRET" not in done.stderr


def test_cli_logging_in_text_by_default() -> None:
    done = run_child(None)
    assert done.returncode == 0, done.stderr
    first = done.stderr.splitlines()[0]
    assert first.endswith("INFO tracker.sweep: 巡检完成：超时 3 项") and not first.startswith("{")


def test_bad_format_stops_the_daemon_with_a_clear_message(tmp_path: Path) -> None:
    env = dict(os.environ, YUQING_LOG_FORMAT="xml")
    done = subprocess.run(
        [sys.executable, "-m", "tracker.cli", "--config", str(tmp_path / "none.toml"), "run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == ConfigError.exit_code
    assert "YUQING_LOG_FORMAT" in done.stderr and "xml" in done.stderr and "Traceback" not in done.stderr
