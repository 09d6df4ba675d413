"""Request-level protections: security headers, CSRF tokens, login rate limiting.

CSRF: one random token per session, put in every form as ``csrf_token`` and compared in constant time
on every state-changing request. The session cookie is also SameSite=Lax, but that alone does not cover
old browsers still found on office PCs.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask, Response, abort, request, session

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"

#: No inline script or style anywhere: every script is a file under /static. ECharts draws on a canvas
#: and positions its tooltip through the CSSOM, which style-src does not restrict.
CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


def csrf_token() -> str:
    token = session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def check_csrf() -> None:
    """Abort 400 when a state-changing request lacks this session's token."""
    if request.method in SAFE_METHODS:
        return
    expected = session.get("csrf")
    sent = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    if not isinstance(expected, str) or not expected or not hmac.compare_digest(expected, sent):
        abort(400, description="表单已失效或来源不明（CSRF 校验失败）：请刷新页面后重新提交。")


def add_security_headers(response: Response, https: bool) -> Response:
    h = response.headers
    h["Content-Security-Policy"] = CSP
    h["X-Frame-Options"] = "DENY"
    h["X-Content-Type-Options"] = "nosniff"
    h["Referrer-Policy"] = "same-origin"
    h["Cross-Origin-Opener-Policy"] = "same-origin"
    h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
    if https:
        h["Strict-Transport-Security"] = "max-age=31536000"
    if request.endpoint != "static":
        # Pages carry incident data: never keep them in a shared office PC's cache.
        h.setdefault("Cache-Control", "no-store")
    return response


@dataclass
class _Window:
    failures: deque[float] = field(default_factory=deque)
    locked_until: float = 0.0


class LoginLimiter:
    """Failed logins per user name and per client address within a sliding window.

    After ``max_per_user`` failures for one name (or ``max_per_ip`` from one address) further attempts
    are refused without checking the password until ``lockout`` seconds have passed. In memory: the web
    UI runs as one process (waitress threads), and a restart only resets the counters.
    """

    def __init__(
        self,
        max_per_user: int = 5,
        max_per_ip: int = 30,
        window: float = 900.0,
        lockout: float = 900.0,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_per_user, self.max_per_ip = max_per_user, max_per_ip
        self.window, self.lockout, self.timer = window, lockout, timer
        self._state: dict[str, _Window] = {}
        self._lock = threading.Lock()

    def _keys(self, username: str, ip: str) -> list[tuple[str, int]]:
        return [(f"u:{username.strip().lower()}", self.max_per_user), (f"ip:{ip}", self.max_per_ip)]

    def retry_after(self, username: str, ip: str) -> float:
        """Seconds until a locked name/address may try again; 0 when allowed now."""
        now = self.timer()
        with self._lock:
            waits = [
                self._state[k].locked_until - now for k, _ in self._keys(username, ip) if k in self._state
            ]
        return max([0.0, *waits])

    def failed(self, username: str, ip: str) -> None:
        now = self.timer()
        with self._lock:
            for key, limit in self._keys(username, ip):
                w = self._state.setdefault(key, _Window())
                while w.failures and w.failures[0] <= now - self.window:
                    w.failures.popleft()
                w.failures.append(now)
                if len(w.failures) >= limit:
                    w.locked_until = now + self.lockout
                    w.failures.clear()
            if len(self._state) > 10000:  # bound memory under a spray of random names
                self._state = {k: v for k, v in self._state.items() if v.locked_until > now or v.failures}

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._state.pop(f"u:{username.strip().lower()}", None)


def client_ip() -> str:
    return request.remote_addr or "unknown"


def init_app(flask_app: Flask, https: bool) -> None:
    flask_app.extensions["yuqing_login_limiter"] = LoginLimiter()
    flask_app.before_request(check_csrf)
    flask_app.after_request(lambda response: add_security_headers(response, https))
    flask_app.jinja_env.globals["csrf_token"] = csrf_token


def limiter(flask_app: Flask) -> LoginLimiter:
    result: LoginLimiter = flask_app.extensions["yuqing_login_limiter"]
    return result
