"""The incident page (read side). Actions post to views/actions.py, which re-renders this page with the
error next to the form (and the user's input kept) when the service refuses."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from analysis.taxonomy import GRADE_ORDER, GRADES
from tracker.responses import FORMS
from tracker.web.access import incident_or_abort
from tracker.web.context import db, now, yq
from tracker.web.forms import local_input, page_arg
from tracker.web.incident_view import ACTION_NAMES, POSTS_PER_PAGE, describe_payload, load_page
from tracker.workflow import DISPOSITIONS

bp = Blueprint("incidents", __name__)


def render_incident(
    incident_id: int, errors: dict[str, str] | None = None, status: int = 200
) -> tuple[str, int]:
    session = db()
    incident = incident_or_abort(session, incident_id)
    page = page_arg()
    t = now()
    data = load_page(session, incident, t, list(yq().settings.policy.warn_fractions), page)
    values = request.form if request.method == "POST" else {}
    return (
        render_template(
            "incident.html",
            d=data,
            i=incident,
            page=page,
            pages=max(1, -(-data.post_total // POSTS_PER_PAGE)),
            errors=errors or {},
            values=values,
            all_units=data.all_units,
            grades=[(g, GRADES[g]) for g in reversed(GRADE_ORDER)],
            forms=FORMS,
            dispositions=DISPOSITIONS,
            action_names=ACTION_NAMES,
            describe=describe_payload,
            now_input=local_input(t),
            now=t,
        ),
        status,
    )


@bp.route("/incidents/<int:incident_id>")
def show(incident_id: int) -> tuple[str, int]:
    return render_incident(incident_id)
