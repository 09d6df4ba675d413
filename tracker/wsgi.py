"""WSGI entry for a production server: ``waitress-serve … tracker.wsgi:application`` (or gunicorn).

The configuration comes from ``YUQING_CONFIG`` (and ``YUQING_*`` overrides), the session key from the
variable named by ``web.secret_key_env``; see docs/deployment.md and deploy/yuqing-web.service. The web
process only serves pages: the scheduler (`yuqing run --no-web`) crawls, sweeps and sends alerts.
A bad configuration stops the server at start-up with one Chinese line instead of serving errors.
"""

from __future__ import annotations

import logging
import sys

from flask import Flask

from tracker.app import load_app
from tracker.errors import UserError
from tracker.logging_setup import configure
from tracker.web import create_app


def build() -> Flask:
    try:
        configure(logging.INFO)  # text, or JSON lines with YUQING_LOG_FORMAT=json
        return create_app(load_app())
    except UserError as exc:
        # A WSGI server would print a long traceback for an import-time error; say it in one line.
        print(f"错误：{exc}", file=sys.stderr)
        raise SystemExit(exc.exit_code) from None


application = build()
