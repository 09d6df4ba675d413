"""A tiny SMTP server for tests (aiosmtpd is not a dependency and smtpd left the stdlib in 3.12).

Speaks just enough RFC 5321 for smtplib: EHLO/HELO, STARTTLS, AUTH PLAIN, MAIL, RCPT, DATA (with
dot-unstuffing), RSET, NOOP, QUIT. ``mode`` is "none", "starttls" or "ssl" (implicit TLS).
"""

from __future__ import annotations

import base64
import socket
import socketserver
import ssl
import threading
from dataclasses import dataclass, field


@dataclass
class Received:
    mail_from: str
    rcpt_to: list[str]
    data: bytes


@dataclass
class SinkConfig:
    mode: str = "none"
    context: ssl.SSLContext | None = None
    user: str | None = None
    password: str | None = None
    refuse: set[str] = field(default_factory=set)  # recipients answered with 550
    messages: list[Received] = field(default_factory=list)
    auth_ok: list[str] = field(default_factory=list)


class _Session:
    def __init__(self, sock: socket.socket, cfg: SinkConfig) -> None:
        self.sock, self.cfg = sock, cfg
        self.file = sock.makefile("rb")
        self.tls = cfg.mode == "ssl"
        self.authed = False
        self.mail_from: str | None = None
        self.rcpts: list[str] = []

    def say(self, line: str) -> None:
        self.sock.sendall(line.encode() + b"\r\n")

    def readline(self) -> str:
        return self.file.readline(65536).decode("utf-8", "replace").rstrip("\r\n")

    def run(self) -> None:
        self.say("220 sink.test ESMTP ready")
        while True:
            line = self.readline()
            if not line:
                return
            verb, _, arg = line.partition(" ")
            handler = getattr(self, "do_" + verb.upper(), None)
            if handler is None:
                self.say("502 command not implemented")
            elif handler(arg) is False:
                return

    def do_EHLO(self, arg: str) -> None:
        lines = ["sink.test"]
        if self.cfg.mode == "starttls" and not self.tls:
            lines.append("STARTTLS")
        if self.cfg.user is not None:
            lines.append("AUTH PLAIN")
        lines.append("8BITMIME")
        for item in lines[:-1]:
            self.say("250-" + item)
        self.say("250 " + lines[-1])

    def do_HELO(self, arg: str) -> None:
        self.say("250 sink.test")

    def do_STARTTLS(self, arg: str) -> None:
        if self.cfg.mode != "starttls" or self.tls or self.cfg.context is None:
            self.say("454 TLS not available")
            return
        self.say("220 go ahead")
        self.sock = self.cfg.context.wrap_socket(self.sock, server_side=True)
        self.file = self.sock.makefile("rb")
        self.tls = True

    def do_AUTH(self, arg: str) -> None:
        mech, _, initial = arg.partition(" ")
        if mech.upper() != "PLAIN":
            self.say("504 unrecognized authentication type")
            return
        if not initial:
            self.say("334 ")
            initial = self.readline()
        _, user, password = base64.b64decode(initial).decode("utf-8").split("\0")
        if user == self.cfg.user and password == self.cfg.password:
            self.authed = True
            self.cfg.auth_ok.append(user)
            self.say("235 2.7.0 Authentication successful")
        else:
            self.say("535 5.7.8 Authentication credentials invalid")

    def do_MAIL(self, arg: str) -> None:
        if self.cfg.user is not None and not self.authed:
            self.say("530 5.7.0 Authentication required")
            return
        self.mail_from, self.rcpts = arg.split(":", 1)[1].strip().strip("<>"), []
        self.say("250 OK")

    def do_RCPT(self, arg: str) -> None:
        rcpt = arg.split(":", 1)[1].strip().strip("<>")
        if rcpt in self.cfg.refuse:
            self.say("550 5.1.1 mailbox unavailable")
            return
        self.rcpts.append(rcpt)
        self.say("250 OK")

    def do_DATA(self, arg: str) -> None:
        if not self.rcpts:
            self.say("503 no valid recipients")
            return
        self.say("354 end with <CRLF>.<CRLF>")
        lines = []
        while True:
            raw = self.file.readline(1 << 20)
            if raw in (b".\r\n", b".\n", b""):
                break
            lines.append(raw[1:] if raw.startswith(b"..") else raw)
        self.cfg.messages.append(Received(self.mail_from or "", list(self.rcpts), b"".join(lines)))
        self.say("250 OK queued")

    def do_RSET(self, arg: str) -> None:
        self.mail_from, self.rcpts = None, []
        self.say("250 OK")

    def do_NOOP(self, arg: str) -> None:
        self.say("250 OK")

    def do_QUIT(self, arg: str) -> bool:
        self.say("221 bye")
        return False


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class SmtpSink:
    def __init__(self, cfg: SinkConfig) -> None:
        self.cfg = cfg

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                sock: socket.socket = self.request
                try:
                    if cfg.mode == "ssl" and cfg.context is not None:
                        sock = cfg.context.wrap_socket(sock, server_side=True)
                    _Session(sock, cfg).run()
                except (OSError, ValueError):
                    pass  # a client that gave up (bad certificate, timeout) ends its session

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
