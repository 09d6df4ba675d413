"""A channel secret never shows: not in the outbox, logs, `yuqing alerts outbox`, `yuqing alerts test`,
`yuqing status --format json`, the database file or a backup, even when the service echoes it back.

The WeCom key comes from an environment variable (``key_env``); a stand-in service on 127.0.0.1 fails
every send and quotes the request (with ``?key=…``) in its error, as real gateways and proxies do.
"""

from __future__ import annotations

import json
import logging
import tarfile
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from sqlalchemy import select

import tracker.cli
from tests.conftest import T0, make_app
from tests.reliability.helpers import frozen
from tests.tracker.helpers import food_story
from tracker import ingest
from tracker.app import App
from tracker.backup import backup
from tracker.db import transaction
from tracker.models import AlertOutbox
from tracker.sweep import run

SECRET = "Sk+9f/3a=0d2c-7b4e-yuqing"
FORMS = {SECRET, quote(SECRET, safe=""), quote_plus(SECRET)}


class EchoingService(BaseHTTPRequestHandler):
    mode = "http500"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.mode == "http500":
            status, body = 500, f"<html>Internal error while handling POST {self.path}</html>".encode()
        else:  # HTTP 200 with an error code that quotes the key, WeCom style
            status = 200
            body = json.dumps({"errcode": 93000, "errmsg": f"invalid webhook url, key={SECRET}"}).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(params=["http500", "errcode"])
def service(request: pytest.FixtureRequest) -> Iterator[str]:
    handler = type("Handler", (EchoingService,), {"mode": request.param})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def secret_app(tmp_path: Path, service: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[App]:
    monkeypatch.setenv("YUQING_TEST_WECOM_KEY", SECRET)
    extra = f"""
[alerts]
max_attempts = 2

[alerts.channels."值班群"]
url = "wecom://?base_url={service}"
key_env = "YUQING_TEST_WECOM_KEY"
timeout = 5

[[alerts.routes]]
name = "值班群路由"
channels = ["值班群"]
"""
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'yuqing.db'}", extra=extra)
    ingest.configure(app)
    yield app
    ingest.configure(None)
    app.engine.dispose()


def cli(app: App, capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    tracker.cli.main(["--config", app.settings.path, *argv])
    captured = capsys.readouterr()
    return captured.out + captured.err


def leaks(text: str) -> list[str]:
    return [form for form in FORMS if form in text]


@pytest.mark.parametrize(
    "level",
    [pytest.param(logging.INFO, id="INFO"), pytest.param(logging.DEBUG, id="DEBUG")],
)
def test_a_failing_channel_never_shows_its_key(
    secret_app: App,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
    level: int,
) -> None:
    app = secret_app
    caplog.set_level(level)  # INFO is what `yuqing run` logs at (tracker.cli.core.setup_logging)
    food_story(T0)
    for minutes in (70, 240):  # two failed attempts: the second gives up and logs an error
        frozen(app).set(T0 + timedelta(minutes=minutes))
        report = run(app)
        assert report.failed >= 1
    with transaction(app.sessions) as session:
        rows = session.scalars(
            select(AlertOutbox).where(AlertOutbox.channel == "值班群", AlertOutbox.attempts > 0)
        ).all()
    assert rows and all(r.sent_at is None and r.last_error for r in rows)
    assert any(r.failed for r in rows)  # given up after max_attempts: the error path that logs
    assert all("企业微信" in (r.last_error or "") for r in rows)  # the error itself is still useful
    seen = {
        "outbox last_error": "\n".join(r.last_error or "" for r in rows),
        "outbox channel column": "\n".join(r.channel for r in rows),
        "logs": caplog.text,
        "yuqing alerts outbox": cli(app, capsys, "alerts", "outbox", "--all"),
        "yuqing alerts test": cli(app, capsys, "alerts", "test", "值班群路由"),
        "yuqing status --format json": cli(app, capsys, "status", "--format", "json"),
    }
    assert "重试 2 次仍失败" in seen["logs"]
    assert "发送失败" in seen["yuqing alerts test"]
    app.engine.dispose()
    db_bytes = b"".join(p.read_bytes() for p in tmp_path.glob("yuqing.db*"))
    seen["database files"] = db_bytes.decode("utf-8", errors="replace")
    with tarfile.open(backup(app).path) as tar:
        seen["backup"] = b"".join(
            f.read() for m in tar.getmembers() if (f := tar.extractfile(m)) is not None
        ).decode("utf-8", errors="replace")
    assert {where: leaks(text) for where, text in seen.items() if leaks(text)} == {}
    assert "***" in seen["outbox last_error"]  # the service did echo the key: it was masked, not absent
