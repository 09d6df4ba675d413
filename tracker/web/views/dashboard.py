"""The dashboard: open incidents by nearest deadline with countdowns, counts, and the 7-day trend."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

from flask import Blueprint, current_app, render_template

from tracker.clock import to_beijing
from tracker.web.access import visible_incidents
from tracker.web.cache import PageCache
from tracker.web.context import db, now, require_user, yq
from tracker.web.filters import countdown
from tracker.web.forms import page_arg
from tracker.web.queries import dashboard, trend

bp = Blueprint("dashboard", __name__)
PER_PAGE = 50
#: seconds the incident list and counts are shared between requests (a user's own writes show at once)
DASHBOARD_TTL = 10.0
TREND_TTL = 60.0


def page_cache() -> PageCache:
    return cast(PageCache, current_app.extensions["yuqing_cache"])


@bp.route("/")
def index() -> str:
    u = require_user()
    scope = u.unit_id if u.role == "unit" else None
    page, t = page_arg(), now()
    cache = page_cache()
    data = cache.get_or(
        ("dashboard", scope, page),
        DASHBOARD_TTL,
        lambda: dashboard(db(), visible_incidents(u), page, PER_PAGE),
        reader=u.id,
    )
    start_day = to_beijing(t).date() - timedelta(days=6)
    chart = cache.get_or(("trend", scope, start_day), TREND_TTL, lambda: trend(db(), t, scope))
    fractions = list(yq().settings.policy.warn_fractions)
    rows = [(r, countdown(r.obligation, t, fractions) if r.obligation else None) for r in data.rows]
    states = {"breach": 0, "warn": 0, "ok": 0}
    for _, cd in rows:
        if cd is not None:
            states[cd.state] = states.get(cd.state, 0) + 1
    return render_template(
        "dashboard.html",
        rows=rows,
        total=data.total,
        page=page,
        pages=max(1, -(-data.total // PER_PAGE)),
        facets=data.facets,
        trend=chart,
        states=states,
        now=t,
    )
