"""Login, logout and password change."""

from __future__ import annotations

import math
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WzResponse

from tracker.auth import authenticate, set_password, verify_password
from tracker.errors import UserError
from tracker.models import User
from tracker.web.context import end_login, now, require_user, start_login, user, write
from tracker.web.security import client_ip, limiter

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site paths: an attacker's link must not bounce a fresh login to another site."""
    if not target:
        return url_for("dashboard.index")
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
    ):
        return url_for("dashboard.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> WzResponse | str | tuple[str, int]:
    if request.method == "GET":
        if user() is not None:
            return redirect(_safe_next(request.args.get("next")))
        return render_template("login.html", username="", next=request.args.get("next", ""))
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    next_url = request.form.get("next", "")
    lim = limiter(current_app._get_current_object())  # type: ignore[attr-defined]
    wait = lim.retry_after(username, client_ip())
    if wait > 0:
        message = f"登录失败次数过多，请 {math.ceil(wait / 60)} 分钟后再试"
        return render_template("login.html", error=message, username=username, next=next_url), 429
    with write(changes_data=False) as session:
        found = authenticate(session, username, password)
        if found is None:
            lim.failed(username, client_ip())
            message = "用户名或密码错误（或账号已停用）"
            return render_template("login.html", error=message, username=username, next=next_url), 401
        lim.succeeded(username)
        start_login(found)
    return redirect(_safe_next(next_url))


@bp.route("/logout", methods=["POST"])
def logout() -> WzResponse:
    end_login()
    flash("已退出登录")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
def password() -> WzResponse | str | tuple[str, int]:
    if request.method == "GET":
        return render_template("password.html")
    me = require_user()
    old, new, again = (request.form.get(k, "") for k in ("old", "new", "again"))
    try:
        if new != again:
            raise UserError("两次输入的新密码不一致")
        with write() as session:
            row = session.get(User, me.id)
            assert row is not None
            if not verify_password(old, row.password_hash):
                raise UserError("当前密码不正确")
            set_password(session, row, new, me.username, now())
            start_login(row)  # a new session id and a new password stamp: other sessions end
    except UserError as exc:
        return render_template("password.html", error=exc.message), 400
    flash("密码已修改，其他设备上的登录已失效")
    return redirect(url_for("dashboard.index"))
