"""Logging a response, in two steps: (1) the response itself, which meets the obligations its form
satisfies; (2) the commitments suggested from its text, each confirmed or edited by a person."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response as WzResponse

from tracker.commitments import add_commitment, suggest
from tracker.errors import UserError
from tracker.models import Commitment, Obligation, Response, Unit
from tracker.responses import log_response
from tracker.web.access import incident_or_abort, response_or_abort, roles
from tracker.web.context import db, now, require_user, write, yq
from tracker.web.forms import int_field, local_input, optional_local_datetime, parse_local_datetime
from tracker.web.views.incidents import render_incident

bp = Blueprint("responses", __name__)
WRITERS = ("admin", "duty", "unit")
BLANK_ROWS = 2


@dataclass(frozen=True)
class Row:
    include: bool
    content: str
    due: str  # datetime-local value
    periodic: bool
    provisional: bool  # the suggested due time depends on calendar data not yet published
    phrase: str
    orig: str  # the suggested due time: "provisional" stops applying once the person changes it


@bp.route("/incidents/<int:incident_id>/responses", methods=["POST"])
@roles(*WRITERS)
def create(incident_id: int) -> WzResponse | tuple[str, int]:
    me = require_user()
    f = request.form
    try:
        with write() as session:
            incident = incident_or_abort(session, incident_id, act=True)
            unit_id = me.unit_id if me.role == "unit" else int_field("unit")
            unit = session.get(Unit, unit_id) if unit_id else None
            if unit_id and unit is None:
                raise UserError("所选单位不存在")
            logged = log_response(
                session,
                incident,
                form=f.get("form", ""),
                published_at=parse_local_datetime(f.get("published_at", ""), "发布时间"),
                actor=me.username,
                now=now(),
                url=f.get("url", "").strip(),
                text=f.get("text", "").strip(),
                unit=unit,
            )
            response_id = logged.response.id
    except UserError as exc:
        return render_incident(incident_id, {"response": exc.message}, 400)
    met = len(logged.satisfied)
    flash(f"回应已登记，满足 {met} 项时限" if met else "回应已登记（未满足进行中的时限）")
    return redirect(url_for("responses.commitments", response_id=response_id))


def _suggested_rows(response: Response) -> list[Row]:
    rows = [
        Row(True, s.content, local_input(s.due), s.periodic, s.provisional, s.phrase, local_input(s.due))
        for s in suggest(db(), yq().settings, response)
    ]
    return rows + [Row(False, "", "", False, False, "", "") for _ in range(BLANK_ROWS)]


def _posted_rows() -> list[Row]:
    f = request.form
    count = min(int(f.get("rows", "0") or 0), 50)
    return [
        Row(
            f.get(f"c{i}-include") == "1",
            f.get(f"c{i}-content", ""),
            f.get(f"c{i}-due", ""),
            f.get(f"c{i}-periodic") == "1",
            f.get(f"c{i}-provisional") == "1",
            f.get(f"c{i}-phrase", ""),
            f.get(f"c{i}-orig", ""),
        )
        for i in range(count)
    ]


def _render(response: Response, rows: list[Row], error: str = "", status: int = 200) -> tuple[str, int]:
    session = db()
    incident = incident_or_abort(session, response.incident_id)
    # incident_id first: it is indexed, response_id is not
    mine = (Obligation.incident_id == response.incident_id, Obligation.response_id == response.id)
    met = list(session.scalars(select(Obligation).where(*mine)))
    existing = list(
        session.scalars(
            select(Commitment).where(
                Commitment.incident_id == response.incident_id, Commitment.response_id == response.id
            )
        )
    )
    return (
        render_template(
            "response_commitments.html",
            r=response,
            i=incident,
            rows=rows,
            met=met,
            existing=existing,
            error=error,
        ),
        status,
    )


@bp.route("/responses/<int:response_id>/commitments", methods=["GET", "POST"])
def commitments(response_id: int) -> WzResponse | tuple[str, int]:
    me = require_user()
    if request.method == "GET":
        response = response_or_abort(db(), response_id)
        return _render(response, _suggested_rows(response) if me.can_write else [])
    if not me.can_write:
        return _render(response_or_abort(db(), response_id), [], "没有权限", 403)
    rows = _posted_rows()
    try:
        with write() as session:
            response = response_or_abort(session, response_id, act=True)
            added = 0
            for n, row in enumerate(rows, 1):
                if not row.include:
                    continue
                try:
                    due = optional_local_datetime(row.due, "到期时间")
                    add_commitment(
                        session,
                        response,
                        content=row.content,
                        due_at=due,
                        actor=me.username,
                        now=now(),
                        periodic=row.periodic,
                        provisional=row.provisional and due is not None and row.due == row.orig,
                    )
                except UserError as exc:
                    raise UserError(f"第 {n} 行：{exc.message}") from None
                added += 1
            incident_id = response.incident_id
    except UserError as exc:
        return _render(response_or_abort(db(), response_id), rows, exc.message, 400)
    flash(f"已登记 {added} 项承诺" if added else "未登记承诺")
    return redirect(url_for("incidents.show", incident_id=incident_id) + "#commitments")
