"""The dashboard: open incidents by nearest deadline with countdowns, counts, and the 7-day trend."""

from __future__ import annotations

from flask import Blueprint, render_template

from tracker.web.access import visible_incidents
from tracker.web.context import db, now, require_user, yq
from tracker.web.forms import page_arg
from tracker.web.queries import count_open, facet_counts, open_incidents, trend

bp = Blueprint("dashboard", __name__)
PER_PAGE = 50


@bp.route("/")
def index() -> str:
    u = require_user()
    where = visible_incidents(u)
    page = page_arg()
    session, t = db(), now()
    fractions = list(yq().settings.policy.warn_fractions)
    rows = open_incidents(session, where, t, fractions, page, PER_PAGE)
    total = count_open(session, where)
    states = {"breach": 0, "warn": 0, "ok": 0}
    for r in rows:
        if r.countdown:
            states[r.countdown.state] = states.get(r.countdown.state, 0) + 1
    return render_template(
        "dashboard.html",
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        facets=facet_counts(session, where),
        trend=trend(session, t, u.unit_id if u.role == "unit" else None),
        states=states,
        now=t,
    )
