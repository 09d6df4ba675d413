"""Helpers for the deployment tests: a PostgreSQL schema of their own, Scrapyd nodes started from the shipped
deploy/scrapyd.conf, and the commands of the shipped systemd units.

PostgreSQL: ``YUQING_TEST_PG_URL`` or postgresql+psycopg://postgres@127.0.0.1:5432/test; the tests skip
(with the reason) only when that server does not answer.
"""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from tracker.scrapyd import Node, NodeError

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
BIN = Path(sys.executable).parent
PG_BASE = os.environ.get("YUQING_TEST_PG_URL") or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(check: Callable[[], T], timeout: float, what: str, every: float = 0.5) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"等待超时（{timeout:.0f} 秒）：{what}")


@contextmanager
def pg_schema(schema: str) -> Iterator[str]:
    """A URL whose connections use their own schema, created empty and dropped afterwards."""
    engine = create_engine(PG_BASE, connect_args={"connect_timeout": 3})
    try:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    except OperationalError as exc:
        engine.dispose()
        pytest.skip(f"PostgreSQL 不可用（{PG_BASE}）：{str(exc).splitlines()[0]}")
    sep = "&" if "?" in PG_BASE else "?"
    try:
        yield f"{PG_BASE}{sep}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        engine.dispose()


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without YUQING_* overrides a developer may have set, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YUQING_", "SCRAPYD_", "SCRAPY_"))}
    env.update(extra)
    return env


class ScrapydNode:
    """One Scrapyd started as the shipped unit does (deploy/scrapyd.service + scrapyd.conf + env file),
    with its directories under ``home`` and the port from SCRAPYD_HTTP_PORT."""

    def __init__(self, home: Path, config: Path, register_project: bool = True, auth: str = "") -> None:
        home.mkdir(parents=True, exist_ok=True)
        conf = (DEPLOY / "scrapyd.conf").read_text(encoding="utf-8").replace("/var/lib/scrapyd", str(home))
        if not register_project:
            conf = conf.split("[settings]")[0]
        (home / "scrapyd.conf").write_text(conf, encoding="utf-8")
        self.home = home
        self.port = free_port()
        user, _, password = auth.partition(":")
        env = clean_env(
            YUQING_CONFIG=str(config),
            SCRAPY_SETTINGS_MODULE="crawlers.settings",
            YUQING_SCRAPY_HTTPCACHE_DIR=str(home / "httpcache"),
            SCRAPYD_BIND_ADDRESS="127.0.0.1",
            SCRAPYD_HTTP_PORT=str(self.port),
            SCRAPYD_USERNAME=user,
            SCRAPYD_PASSWORD=password,
        )
        args = local_command("scrapyd.service")
        self.log = (home / "scrapyd.out").open("ab")
        self.proc = subprocess.Popen(
            args, cwd=home, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        credentials = f"{auth}@" if auth else ""
        self.config_url = f"http://{credentials}127.0.0.1:{self.port}"
        self.node = Node.parse(self.config_url)
        wait_for(self._ready, 30, f"Scrapyd 节点 {self.node.url} 启动（日志 {home / 'scrapyd.out'}）")

    def _ready(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"Scrapyd 退出：{(self.home / 'scrapyd.out').read_text(errors='replace')}")
        try:
            self.node.call("daemonstatus.json")
        except NodeError:
            return False
        return True

    def jobs(self) -> dict[str, Any]:
        return dict(self.node.call("listjobs.json", [("project", "yuqing")]))

    def crawl_logs(self) -> str:
        return "\n".join(
            p.read_text(errors="replace")[-3000:] for p in sorted(self.home.glob("logs/**/*.log"))
        )

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)
        self.log.close()


def unit_command(unit: str) -> list[str]:
    """The ExecStart command line of a shipped systemd unit."""
    for line in (DEPLOY / unit).read_text(encoding="utf-8").splitlines():
        if line.startswith("ExecStart="):
            return shlex.split(line.removeprefix("ExecStart="))
    raise AssertionError(f"{unit} 没有 ExecStart")


def local_command(unit: str, replace: dict[str, str] | None = None) -> list[str]:
    """The unit's command with /opt/yuqing/venv/bin/ pointing at this virtualenv and values replaced."""
    out = []
    for arg in unit_command(unit):
        arg = arg.replace("/opt/yuqing/venv/bin/", f"{BIN}/")
        for old, new in (replace or {}).items():
            arg = arg.replace(old, new)
        out.append(arg)
    return out
