"""The commitments board (due soon, overdue, fulfilled but not made public, by unit) and one commitment's
page with its fulfilment evidence and disclosure."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import case, func, select
from werkzeug.wrappers import Response as WzResponse

from tracker.commitments import disclose, fulfil
from tracker.errors import UserError
from tracker.models import Commitment, Incident, Unit
from tracker.web.access import commitment_or_abort, roles, visible_incidents
from tracker.web.context import db, now, require_user, write, yq
from tracker.web.forms import optional_local_datetime

bp = Blueprint("commitments", __name__)
SECTION_LIMIT = 200


def _scoped(q: Any) -> Any:
    where = visible_incidents(require_user())
    if where is None:
        return q
    return q.where(Commitment.incident_id.in_(select(Incident.id).where(where)))


def _list(*conditions: Any, order: Any = Commitment.due_at) -> list[tuple[Commitment, Incident]]:
    q = select(Commitment, Incident).join(Incident, Incident.id == Commitment.incident_id).where(*conditions)
    return [(c, i) for c, i in db().execute(_scoped(q).order_by(order).limit(SECTION_LIMIT))]


@bp.route("/commitments")
def board() -> str:
    t = now()
    soon = t + timedelta(days=max(yq().settings.policy.commitment_remind_days, 7))
    pending = Commitment.status == "pending"
    sections = {
        "overdue": _list(
            (Commitment.status == "overdue") | (pending & (Commitment.due_at < t)),
        ),
        "soon": _list(pending, Commitment.due_at >= t, Commitment.due_at <= soon),
        "periodic": _list(
            pending, Commitment.periodic.is_(True), Commitment.due_at.is_(None), order=Commitment.id
        ),
        "undisclosed": _list(
            Commitment.status == "fulfilled",
            Commitment.disclosed_url.is_(None),
            order=Commitment.fulfilled_at,
        ),
    }
    return render_template("commitments.html", sections=sections, by_unit=_by_unit(), now=t, soon=soon)


def _by_unit() -> list[tuple[str, dict[str, int]]]:
    def n(cond: Any) -> Any:
        return func.sum(case((cond, 1), else_=0))

    q = (
        select(
            Commitment.unit_id,
            func.count(),
            n(Commitment.status == "pending"),
            n(Commitment.status == "overdue"),
            n(Commitment.status == "fulfilled"),
            n((Commitment.status == "fulfilled") & Commitment.disclosed_url.is_not(None)),
        )
        .where(Commitment.status != "cancelled")
        .group_by(Commitment.unit_id)
    )
    names = dict(db().execute(select(Unit.id, Unit.name)).all())
    out = []
    for unit_id, total, pend, over, done, public in db().execute(_scoped(q)).all():
        keys = ("total", "pending", "overdue", "fulfilled", "disclosed")
        out.append(
            (
                names.get(unit_id, "（未指定单位）"),
                dict(zip(keys, map(int, (total, pend, over, done, public)), strict=True)),
            )
        )
    return sorted(out, key=lambda x: (-x[1]["overdue"], x[0]))


def _render(commitment_id: int, error: str = "", form: str = "", status: int = 200) -> tuple[str, int]:
    c = commitment_or_abort(db(), commitment_id)
    incident = db().get(Incident, c.incident_id)
    unit = db().get(Unit, c.unit_id) if c.unit_id else None
    values = request.form if request.method == "POST" else {}
    page = render_template(
        "commitment.html", c=c, i=incident, unit=unit, error=error, form=form, values=values, now=now()
    )
    return page, status


@bp.route("/commitments/<int:commitment_id>")
def show(commitment_id: int) -> tuple[str, int]:
    return _render(commitment_id)


@bp.route("/commitments/<int:commitment_id>/fulfil", methods=["POST"])
@roles("admin", "duty", "unit")
def fulfil_view(commitment_id: int) -> WzResponse | tuple[str, int]:
    me, f = require_user(), request.form
    try:
        with write() as session:
            c = commitment_or_abort(session, commitment_id, act=True)
            done_at = optional_local_datetime(f.get("fulfilled_at", ""), "兑现时间")
            if done_at is not None and done_at > now():
                raise UserError("兑现时间不能晚于当前时间")
            fulfil(
                session,
                c,
                actor=me.username,
                now=now(),
                evidence_url=f.get("evidence_url", ""),
                evidence_note=f.get("evidence_note", ""),
                disclosed_url=f.get("disclosed_url", ""),
                fulfilled_at=done_at,
            )
    except UserError as exc:
        return _render(commitment_id, exc.message, "fulfil", 400)
    flash("已登记兑现情况")
    return redirect(url_for("commitments.show", commitment_id=commitment_id))


@bp.route("/commitments/<int:commitment_id>/disclose", methods=["POST"])
@roles("admin", "duty", "unit")
def disclose_view(commitment_id: int) -> WzResponse | tuple[str, int]:
    me = require_user()
    try:
        with write() as session:
            c = commitment_or_abort(session, commitment_id, act=True)
            disclose(session, c, url=request.form.get("url", ""), actor=me.username, now=now())
    except UserError as exc:
        return _render(commitment_id, exc.message, "disclose", 400)
    flash("已登记公开链接")
    return redirect(url_for("commitments.show", commitment_id=commitment_id))
