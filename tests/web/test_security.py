"""CSRF, security headers, no inline script, XSS payloads rendered inert, session fixation and
revocation, login rate limiting, safe redirects, the session key rules and cookie flags."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.web.conftest import Env, csrf_of, login, post
from tests.web.seed import NOW, PASSWORD, build_app
from tracker.db import transaction
from tracker.errors import ConfigError
from tracker.models import GradeChange, Incident, Post, User
from tracker.web import create_app
from tracker.web.security import LoginLimiter

PAGES = ("/", "/incidents/{inc}", "/commitments", "/ledger", "/admin/sources", "/admin/users", "/password")
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>"\'><svg onload=alert(2)>'


def _pages(env: Env) -> list[str]:
    return [p.format(inc=env.ids.inc_a) for p in PAGES]


def test_security_headers_everywhere(env: Env) -> None:
    admin = env.client("admin")
    paths = [*_pages(env), "/static/app.css", "/healthz", "/no-such-page", "/login"]
    for path in paths:
        r = admin.get(path)
        h = r.headers
        assert h["X-Frame-Options"] == "DENY", path
        assert h["X-Content-Type-Options"] == "nosniff", path
        assert h["Referrer-Policy"] == "same-origin", path
        csp = h["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "frame-ancestors 'none'" in csp
    assert admin.get("/").headers["Cache-Control"] == "no-store"


def test_pages_have_no_inline_script_or_handlers(env: Env) -> None:
    admin = env.client("admin")
    for path in _pages(env):
        html = admin.get(path).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), f"inline <script> on {path}"
        assert not re.search(r"\son[a-z]+\s*=", html), f"event handler attribute on {path}"
        assert not re.search(r"\sstyle\s*=", html), f"inline style on {path} (CSP style-src 'self')"
        assert not re.search(r"javascript:", html, re.I), path


def test_post_without_csrf_token_is_refused(env: Env) -> None:
    duty = env.client("duty")
    data = {"grade": "II", "reason": "确认为重大"}
    for token in (None, "", "forged-token"):
        body = dict(data) if token is None else {**data, "csrf_token": token}
        r = duty.post(f"/incidents/{env.ids.inc_a}/grade", data=body)
        assert r.status_code == 400
        assert "CSRF" in r.get_data(as_text=True)
    # another session's token does not work either
    r = duty.post(
        f"/incidents/{env.ids.inc_a}/grade", data={**data, "csrf_token": csrf_of(env.client("admin"))}
    )
    assert r.status_code == 400
    with env.app.sessions() as s:
        assert s.scalar(select(func.count()).select_from(GradeChange)) == 0
    # with the right token the same request goes through
    assert post(duty, f"/incidents/{env.ids.inc_a}/grade", data).status_code == 302


def test_login_needs_csrf_token(env: Env) -> None:
    c = env.client()
    r = c.post("/login", data={"username": "admin", "password": PASSWORD})
    assert r.status_code == 400


def _plant_xss(env: Env) -> None:
    with transaction(env.app.sessions) as s:
        inc = s.get(Incident, env.ids.inc_a)
        assert inc is not None
        inc.title = "标题" + XSS
        inc.suggested_reasons = ["理由" + XSS]
        inc.category_evidence = ["证据" + XSS]
        post_row = s.get(Post, env.ids.post_a)
        assert post_row is not None
        post_row.title, post_row.text = "帖子" + XSS, "正文" + XSS
        post_row.url = "javascript:alert(3)"


def test_xss_payloads_render_inert(env: Env) -> None:
    _plant_xss(env)
    admin = env.client("admin")
    for path in ("/", f"/incidents/{env.ids.inc_a}", "/commitments", "/ledger"):
        html = admin.get(path).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html and "<svg onload" not in html, path
        assert "javascript:alert" not in html, path
    page = admin.get(f"/incidents/{env.ids.inc_a}").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page  # shown as text, not dropped


def test_xss_in_forms_is_escaped_on_redisplay(env: Env) -> None:
    """A refused form shows the user's input again: escaped."""
    duty = env.client("duty")
    r = post(
        duty, f"/incidents/{env.ids.inc_a}/responses", {"form": "通报", "published_at": "坏时间", "text": XSS}
    )
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert "<script>alert" not in html and "&lt;script&gt;" in html


def _cookie(client: object) -> str | None:
    jar = client.get_cookie("yuqing_session")  # type: ignore[attr-defined]
    return None if jar is None else str(jar.value)


def test_session_fixation_new_session_on_login(env: Env) -> None:
    c = env.client()
    c.get("/login")
    planted = _cookie(c)
    planted_token = csrf_of(c)
    assert planted is not None
    assert login(c, "duty").status_code == 302
    assert _cookie(c) != planted
    assert csrf_of(c) != planted_token  # a token known before login is worthless after it
    # the pre-login cookie, replayed, is still anonymous
    other = env.client()
    other.set_cookie("yuqing_session", planted)
    r = other.get("/")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")
    # logging in again gives yet another login id
    with c.session_transaction() as sess:
        first_sid = sess["sid"]
    login(c, "duty")
    with c.session_transaction() as sess:
        assert sess["sid"] != first_sid


def test_logout_revokes_copied_cookie(env: Env) -> None:
    c = env.client("duty")
    stolen = _cookie(c)
    assert stolen is not None
    r = post(c, "/logout")
    assert r.status_code == 302
    thief = env.client()
    thief.set_cookie("yuqing_session", stolen)
    assert thief.get("/").status_code == 302


def test_password_change_ends_other_sessions(env: Env) -> None:
    phone, desk = env.client("duty"), env.client("duty")
    new = "N3w-passw0rd!"
    r = post(desk, "/password", {"old": PASSWORD, "new": new, "again": new})
    assert r.status_code == 302
    assert desk.get("/").status_code == 200  # the changer stays logged in
    assert phone.get("/").status_code == 302  # the other session is over
    assert login(env.client(), "duty", new).status_code == 302


def test_deactivated_user_is_logged_out(env: Env) -> None:
    c = env.client("duty")
    with transaction(env.app.sessions) as s:
        user = s.scalar(select(User).where(User.username == "duty"))
        assert user is not None
        user.active = False
    assert c.get("/").status_code == 302
    assert login(env.client(), "duty").status_code == 401


def test_login_rate_limit_per_user(env: Env) -> None:
    clock = [1000.0]
    env.flask.extensions["yuqing_login_limiter"] = LoginLimiter(timer=lambda: clock[0])
    c = env.client()
    for _ in range(5):
        assert login(c, "duty", "wrong-password").status_code == 401
    r = login(c, "duty")  # even the right password is refused while locked
    assert r.status_code == 429
    assert "分钟后再试" in r.get_data(as_text=True)
    assert login(env.client(), "admin").status_code == 302  # other accounts are unaffected
    clock[0] += 901
    assert login(c, "duty").status_code == 302


def test_login_rate_limit_per_address(env: Env) -> None:
    clock = [0.0]
    env.flask.extensions["yuqing_login_limiter"] = LoginLimiter(max_per_ip=6, timer=lambda: clock[0])
    c = env.client()
    for i in range(6):
        assert login(c, f"nobody{i}", "x").status_code == 401
    assert login(c, "admin").status_code == 429


@pytest.mark.parametrize(
    "target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:x"]
)
def test_login_redirect_stays_on_site(env: Env, target: str) -> None:
    c = env.client()
    token = csrf_of(c)
    r = c.post(
        "/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token, "next": target}
    )
    assert r.status_code == 302 and r.headers["Location"] == "/"


def test_login_redirect_to_requested_page(env: Env) -> None:
    c = env.client()
    r = c.get(f"/incidents/{env.ids.inc_a}")
    assert r.status_code == 302
    token = csrf_of(c)
    nxt = f"/incidents/{env.ids.inc_a}"
    r = c.post("/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token, "next": nxt})
    assert r.headers["Location"] == nxt


def test_session_cookie_flags(make_env: Callable[..., Env]) -> None:
    env = make_env()
    c = env.client()
    r = c.get("/login")
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    env.app.settings.web.base_url = "https://yuqing.example.gov.cn"
    secure = create_app(env.app, environ={"YUQING_SECRET_KEY": STRONG_KEY}).test_client().get("/login")
    assert "Secure" in secure.headers["Set-Cookie"]
    assert "max-age" in secure.headers["Strict-Transport-Security"]


STRONG_KEY = "k3J9-qT7vLx2_Pz8WmN4rYb6HdC1uFs5aGe0"


def test_secret_key_rules(tmp_path: Path) -> None:
    prod = build_app(tmp_path, host="0.0.0.0")
    weak_values = ["", "changeme", "short", "CHANGE-ME-48-RANDOM-CHARACTERS-0123456789", "a" * 40]
    for weak in weak_values:
        with pytest.raises(ConfigError, match="YUQING_SECRET_KEY"):
            create_app(prod, environ={"YUQING_SECRET_KEY": weak})
    with pytest.raises(ConfigError, match="生产环境"):
        create_app(prod, environ={})
    assert create_app(prod, environ={"YUQING_SECRET_KEY": STRONG_KEY}).secret_key == STRONG_KEY
    # behind nginx: listening on loopback, but the site is public → production rules
    behind_proxy = build_app(tmp_path / "proxy", host="127.0.0.1")
    behind_proxy.settings.web.base_url = "https://yuqing.example.gov.cn"
    with pytest.raises(ConfigError, match="生产环境"):
        create_app(behind_proxy, environ={})
    dev = build_app(tmp_path / "dev")
    with pytest.raises(ConfigError):  # a copied placeholder is refused even on a single PC
        create_app(dev, environ={"YUQING_SECRET_KEY": "CHANGE-ME-48-RANDOM-CHARACTERS-0123456789"})
    first = create_app(dev, environ={}).secret_key
    key_file = tmp_path / "dev" / "var" / "web_secret.key"
    assert key_file.exists() and key_file.stat().st_mode & 0o777 == 0o600
    assert create_app(dev, environ={}).secret_key == first  # kept across restarts


def test_time_is_the_apps_clock(env: Env) -> None:
    """The countdown baseline on the page is the application's (frozen) clock, not the wall clock."""
    html = env.client("admin").get("/").get_data(as_text=True)
    assert NOW.isoformat() == "2026-11-23T06:00:00+00:00"
    assert '<meta name="yq-now" content="2026-11-23T14:00:00+08:00">' in html
