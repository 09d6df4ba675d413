"""The web UI (Flask, server-rendered Jinja pages in Chinese). The daemon serves ``create_app(app)`` with
waitress on ``web.host:web.port``; ``docs/web.md`` describes roles, pages and the security measures."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException

from tracker.app import App
from tracker.web import context, filters, security
from tracker.web.access import login_required_hook
from tracker.web.cache import PageCache
from tracker.web.keys import load_secret_key

BLUEPRINTS = (
    "tracker.web.views.auth",
    "tracker.web.views.health",
    "tracker.web.views.dashboard",
    "tracker.web.views.incidents",
    "tracker.web.views.actions",
    "tracker.web.views.responses",
    "tracker.web.views.commitments",
    "tracker.web.views.ledger",
    "tracker.web.views.admin",
    "tracker.web.views.admin_users",
    "tracker.web.views.public",
)

ERROR_TITLES = {
    400: "请求无效",
    401: "请先登录",
    403: "没有权限",
    404: "页面不存在",
    405: "不支持的操作",
    413: "提交的内容过大",
    429: "尝试次数过多",
    500: "服务器内部错误",
}


def create_app(app: App, environ: Mapping[str, str] | None = None) -> Flask:
    """Build the Flask application for this App. ``environ`` (default: os.environ) supplies the session
    key; a missing or weak key on a non-loopback host raises ConfigError before anything is served."""
    import importlib

    flask_app = Flask(__name__)
    https = app.settings.web.base_url.lower().startswith("https://")
    flask_app.config.update(
        SECRET_KEY=load_secret_key(app, os.environ if environ is None else environ),
        SESSION_COOKIE_NAME="yuqing_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=https,
        PERMANENT_SESSION_LIFETIME=context.IDLE_LIFETIME,
        MAX_CONTENT_LENGTH=4 * 1024 * 1024,
        SEND_FILE_MAX_AGE_DEFAULT=timedelta(hours=1),
        JSON_AS_ASCII=False,
    )
    flask_app.json.ensure_ascii = False  # type: ignore[attr-defined]
    flask_app.extensions["yuqing"] = app
    flask_app.extensions["yuqing_revoked"] = context.RevokedLogins()
    flask_app.extensions["yuqing_cache"] = PageCache()
    flask_app.before_request(context.load_user)
    flask_app.before_request(login_required_hook)
    security.init_app(flask_app, https)
    flask_app.teardown_appcontext(context.close_db)
    filters.init_app(flask_app)
    flask_app.jinja_env.globals.update(
        current_user=context.user, public_enabled=app.settings.web.public_disclosure
    )
    for name in BLUEPRINTS:
        flask_app.register_blueprint(importlib.import_module(name).bp)
    flask_app.register_error_handler(HTTPException, _error_page)
    return flask_app


def _error_page(exc: HTTPException) -> tuple[str, int]:
    code = exc.code or 500
    title = ERROR_TITLES.get(code, "出错了")
    # werkzeug's default descriptions are English; ours (passed to abort) are Chinese.
    message = exc.description if exc.description and not exc.description.isascii() else ""
    return render_template("error.html", code=code, title=title, message=message), code
