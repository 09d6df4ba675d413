"""Local stand-ins for WeCom, DingTalk, Feishu and a generic webhook receiver, on 127.0.0.1.

Each one checks what the real service checks, with its own implementation of the signature
algorithm (written from the services' documentation, not imported from ``alerts``), and answers with
the service's real reply shapes: HTTP 200 with an error code for a bad key, a bad signature or
"too fast". ``force()`` queues a raw reply (HTTP 500, a delay for timeouts, non-JSON…).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    raw_query: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0

    @classmethod
    def of(cls, data: Any, status: int = 200) -> Reply:
        return cls(
            status, json.dumps(data, ensure_ascii=False).encode(), {"Content-Type": "application/json"}
        )


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a handler sleeping for a timeout test must not hold up teardown

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the client hung up after its timeout: expected in timeout tests


class MockService:
    """A threaded HTTP server; subclasses implement :meth:`respond`."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.requests: list[Request] = []
        self.accepted: list[Request] = []
        self.forced: list[Reply] = []
        self._lock = threading.Lock()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                parts = urlsplit(self.path)
                req = Request(
                    "POST",
                    parts.path,
                    parse_qs(parts.query, keep_blank_values=True),
                    parts.query,
                    {k: v for k, v in self.headers.items()},
                    self.rfile.read(length),
                )
                reply = service.handle(req)
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except OSError:
                    pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.scheme = "http"
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
            self.scheme = "https"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.server.server_address[1]}"

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def force(self, reply: Reply) -> None:
        self.forced.append(reply)

    def handle(self, req: Request) -> Reply:
        with self._lock:
            self.requests.append(req)
            if self.forced:
                return self.forced.pop(0)
            reply = self.respond(req)
            return reply

    def respond(self, req: Request) -> Reply:
        raise NotImplementedError

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _b64_hmac(key: bytes, msg: bytes) -> str:
    return base64.b64encode(hmac.new(key, msg, digestmod="sha256").digest()).decode()


class WeComMock(MockService):
    """qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…; 20 per minute, then errcode 45009."""

    def __init__(self, key: str, limit: int = 20) -> None:
        super().__init__()
        self.key, self.limit = key, limit

    def respond(self, req: Request) -> Reply:
        if req.path != "/cgi-bin/webhook/send" or req.query.get("key") != [self.key]:
            return Reply.of(
                {"errcode": 93000, "errmsg": "invalid webhook url, hint: [1755605200056773468916791]"}
            )
        msg = req.json()
        kind = msg.get("msgtype")
        limits = {"markdown": 4096, "text": 2048}
        if kind not in limits:
            return Reply.of({"errcode": 40008, "errmsg": "invalid message type"})
        content = msg[kind].get("content", "")
        if not content or len(content.encode("utf-8")) > limits[kind]:
            return Reply.of({"errcode": 40058, "errmsg": f"{kind}.content exceed max length {limits[kind]}"})
        if len(self.accepted) >= self.limit:
            return Reply.of({"errcode": 45009, "errmsg": "api freq out of limit"})
        self.accepted.append(req)
        return Reply.of({"errcode": 0, "errmsg": "ok"})


class DingTalkMock(MockService):
    """oapi.dingtalk.com/robot/send with 加签; 20 per minute, then 130101 and a 10-minute block."""

    def __init__(self, token: str, secret: str, now: Callable[[], float], limit: int = 20) -> None:
        super().__init__()
        self.token, self.secret, self.now, self.limit = token, secret, now, limit
        self.accepted_at: list[float] = []
        self.blocked_until = 0.0

    def expected_sign(self, timestamp: str) -> str:
        return _b64_hmac(self.secret.encode(), (timestamp + "\n" + self.secret).encode())

    def respond(self, req: Request) -> Reply:
        if req.path != "/robot/send" or req.query.get("access_token") != [self.token]:
            return Reply.of({"errcode": 300001, "errmsg": "token is not exist"})
        timestamp = req.query.get("timestamp", [""])[0]
        if not timestamp.isdigit() or abs(int(timestamp) / 1000 - self.now()) > 3600:
            return Reply.of({"errcode": 310000, "errmsg": "invalid timestamp"})
        # parse_qs percent-decodes once, as the real service does: a sign sent without URL encoding
        # arrives with "+" turned into " " and fails here.
        if req.query.get("sign", [""])[0] != self.expected_sign(timestamp):
            return Reply.of(
                {
                    "errcode": 310000,
                    "errmsg": "sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]",
                }
            )
        msg = req.json()
        if (
            msg.get("msgtype") != "markdown"
            or not msg["markdown"].get("title")
            or not msg["markdown"].get("text")
        ):
            return Reply.of({"errcode": 40035, "errmsg": "缺少参数 json"})
        now = self.now()
        recent = [t for t in self.accepted_at if t > now - 60]
        if now < self.blocked_until or len(recent) >= self.limit:
            self.blocked_until = max(self.blocked_until, now + 600)  # exceeded: blocked for 10 minutes
            return Reply.of({"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"})
        self.accepted.append(req)
        self.accepted_at.append(now)
        return Reply.of({"errcode": 0, "errmsg": "ok"})


class FeishuMock(MockService):
    """open.feishu.cn/open-apis/bot/v2/hook/TOKEN with 签名校验 in the JSON body."""

    def __init__(self, token: str, secret: str, now: Callable[[], float], legacy_reply: bool = False) -> None:
        super().__init__()
        self.token, self.secret, self.now, self.legacy = token, secret, now, legacy_reply
        self.per_minute = 100

    def expected_sign(self, timestamp: str) -> str:
        return _b64_hmac((timestamp + "\n" + self.secret).encode(), b"")

    def respond(self, req: Request) -> Reply:
        if req.path != f"/open-apis/bot/v2/hook/{self.token}":
            return Reply.of(
                {"code": 19001, "data": {}, "msg": "param invalid: incoming webhook access token invalid"}
            )
        msg = req.json()
        timestamp = msg.get("timestamp")
        if not isinstance(timestamp, str) or not timestamp.isdigit():
            return Reply.of(
                {
                    "code": 19021,
                    "data": {},
                    "msg": "sign match fail or timestamp is not within one hour from current time",
                }
            )
        if abs(int(timestamp) - self.now()) > 3600 or msg.get("sign") != self.expected_sign(timestamp):
            return Reply.of(
                {
                    "code": 19021,
                    "data": {},
                    "msg": "sign match fail or timestamp is not within one hour from current time",
                }
            )
        if msg.get("msg_type") != "interactive" or not msg.get("card", {}).get("elements"):
            return Reply.of({"code": 9499, "data": {}, "msg": "Bad Request"})
        if len(self.accepted) >= self.per_minute:
            return Reply.of(
                {
                    "code": 11232,
                    "data": {},
                    "msg": "frequency limited psm[lark.oapi.app_platform_runtime]appID[1]",
                }
            )
        self.accepted.append(req)
        if self.legacy:
            return Reply.of({"Extra": None, "StatusCode": 0, "StatusMessage": "success"})
        return Reply.of({"code": 0, "data": {}, "msg": "success"})


class WebhookMock(MockService):
    """A receiving system that verifies X-Yuqing-Signature = sha256=hex(HMAC(secret, ts + "." + body))."""

    def __init__(
        self, secret: str | None, now: Callable[[], float], tls: ssl.SSLContext | None = None
    ) -> None:
        super().__init__(tls)
        self.secret, self.now = secret, now

    def respond(self, req: Request) -> Reply:
        if self.secret is not None:
            timestamp = req.headers.get("X-Yuqing-Timestamp", "")
            given = req.headers.get("X-Yuqing-Signature", "")
            mac = hmac.new(self.secret.encode(), timestamp.encode() + b"." + req.body, hashlib.sha256)
            if not timestamp.isdigit() or abs(int(timestamp) - self.now()) > 300:
                return Reply.of({"error": "stale timestamp"}, 401)
            if not hmac.compare_digest(given, "sha256=" + mac.hexdigest()):
                return Reply.of({"error": "bad signature"}, 401)
        self.accepted.append(req)
        return Reply(204)
