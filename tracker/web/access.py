"""Who may see and do what. Checked on the server for every route and every object; links a user may not
follow are also hidden, but that is only a courtesy.

Roles:
- admin: everything, including administration;
- duty (值班员): every incident and every action on it; no administration;
- unit (单位用户): only incidents whose lead or responsible units include its own unit; may log responses
  and commitments and record fulfilment on them, nothing else;
- reviewer (督查): read-only everywhere, plus exports.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import abort, redirect, request, url_for
from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as WzResponse

from tracker.models import Commitment, Incident, IncidentUnit, Obligation, Response
from tracker.web.context import CurrentUser, require_user, user

P = ParamSpec("P")
R = TypeVar("R")

#: endpoints reachable without logging in
PUBLIC_ENDPOINTS = frozenset({"auth.login", "static", "health.healthz", "public.index", "public.feed"})
#: the only state-changing endpoints a reviewer may use
REVIEWER_POSTS = frozenset({"auth.logout", "auth.password"})


def login_required_hook() -> WzResponse | None:
    """before_request: anonymous visitors go to the login page; reviewers never change anything."""
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
        return None
    u = user()
    if u is None:
        if request.method in ("GET", "HEAD"):
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        abort(401)
    if (
        u.role == "reviewer"
        and request.method not in ("GET", "HEAD")
        and request.endpoint not in REVIEWER_POSTS
    ):
        abort(403)
    return None


def roles(*allowed: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            if require_user().role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorate


def unit_scope(unit_id: int | None) -> ColumnElement[bool]:
    """Incidents a unit user may see: its unit leads them or is one of the responsible units."""
    return or_(
        Incident.lead_unit_id == unit_id,
        exists().where(IncidentUnit.incident_id == Incident.id, IncidentUnit.unit_id == unit_id),
    )


def visible_incidents(u: CurrentUser) -> ColumnElement[bool] | None:
    """A WHERE clause for incident lists, or None when the user sees everything."""
    return unit_scope(u.unit_id) if u.role == "unit" else None


def can_see(session: Session, u: CurrentUser, incident: Incident) -> bool:
    if u.role != "unit":
        return True
    if u.unit_id is None:
        return False
    if incident.lead_unit_id == u.unit_id:
        return True
    return (
        session.scalar(
            select(IncidentUnit.unit_id).where(
                IncidentUnit.incident_id == incident.id, IncidentUnit.unit_id == u.unit_id
            )
        )
        is not None
    )


def incident_or_abort(session: Session, incident_id: int, *, act: bool = False) -> Incident:
    """The incident if this user may see it (403 otherwise, 404 when missing). ``act``: the user also
    wants to change it, which reviewers never may."""
    u = require_user()
    incident = session.get(Incident, incident_id)
    if incident is None:
        abort(404)
    if not can_see(session, u, incident) or (act and not u.can_write):
        abort(403)
    return incident


def obligation_or_abort(session: Session, obligation_id: int) -> Obligation:
    ob = session.get(Obligation, obligation_id)
    if ob is None:
        abort(404)
    incident_or_abort(session, ob.incident_id, act=True)
    return ob


def response_or_abort(session: Session, response_id: int, *, act: bool = False) -> Response:
    resp = session.get(Response, response_id)
    if resp is None:
        abort(404)
    incident_or_abort(session, resp.incident_id, act=act)
    return resp


def commitment_or_abort(session: Session, commitment_id: int, *, act: bool = False) -> Commitment:
    c = session.get(Commitment, commitment_id)
    if c is None:
        abort(404)
    incident_or_abort(session, c.incident_id, act=act)
    return c
