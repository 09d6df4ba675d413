"""Actions on an incident, each a thin call into tracker.workflow inside one transaction.

Post/Redirect/Get on success; on a refused action (UserError) the incident page is rendered again with the
message beside the form and the user's input kept, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import Blueprint, flash, redirect, request, url_for
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as WzResponse

from tracker import workflow
from tracker.db import is_retryable
from tracker.errors import UserError
from tracker.models import Incident
from tracker.web.access import incident_or_abort, obligation_or_abort, roles
from tracker.web.context import db, now, require_user, write, yq
from tracker.web.forms import int_field, int_list, parse_local_datetime
from tracker.web.views.incidents import render_incident

bp = Blueprint("actions", __name__)
STAFF = ("admin", "duty")

Action = Callable[[Session, Incident, str, datetime], str]
RETRIES = 2


def _act(incident_id: int, form: str, action: Action) -> WzResponse | tuple[str, int]:
    actor = require_user().username
    for attempt in range(RETRIES + 1):
        try:
            with write() as session:
                incident = incident_or_abort(session, incident_id, act=True)
                message = action(session, incident, actor, now())
            break
        except (UserError, ValueError) as exc:
            text = exc.message if isinstance(exc, UserError) else str(exc)
            return render_incident(incident_id, {form: text}, 400)
        except OperationalError as exc:
            # PostgreSQL chose this transaction as a deadlock or serialisation victim: it was rolled back
            # whole, so doing it again is safe (the database asks clients to retry).
            if attempt == RETRIES or not is_retryable(exc):
                raise
    flash(message)
    return redirect(url_for("incidents.show", incident_id=incident_id) + f"#{form}")


def _text(name: str) -> str:
    return request.form.get(name, "")


@bp.route("/incidents/<int:incident_id>/grade", methods=["POST"])
@roles(*STAFF)
def grade(incident_id: int) -> WzResponse | tuple[str, int]:
    def run(s: Session, inc: Incident, actor: str, t: datetime) -> str:
        opened = workflow.confirm_grade(s, yq().settings, inc, _text("grade"), _text("reason"), actor, t)
        return f"等级已确认，新开启 {len(opened)} 项时限" if opened else "等级已确认"

    return _act(incident_id, "grade", run)


@bp.route("/incidents/<int:incident_id>/units", methods=["POST"])
@roles(*STAFF)
def units(incident_id: int) -> WzResponse | tuple[str, int]:
    def run(s: Session, inc: Incident, actor: str, t: datetime) -> str:
        workflow.assign_units(s, inc, int_field("lead_unit"), int_list("units"), actor, t)
        return "责任单位已更新"

    return _act(incident_id, "units", run)


@bp.route("/incidents/<int:incident_id>/disposition", methods=["POST"])
@roles(*STAFF)
def disposition(incident_id: int) -> WzResponse | tuple[str, int]:
    def run(s: Session, inc: Incident, actor: str, t: datetime) -> str:
        ob = workflow.set_disposition(s, yq().settings, inc, _text("disposition"), actor, t)
        return f"已登记分类处置，需在期限内完成“{ob.kind}”"

    return _act(incident_id, "disposition", run)


@bp.route("/incidents/<int:incident_id>/consultation", methods=["POST"])
@roles("admin", "duty", "unit")
def consultation(incident_id: int) -> WzResponse | tuple[str, int]:
    def run(s: Session, inc: Incident, actor: str, t: datetime) -> str:
        at = parse_local_datetime(_text("at"), "会商时间")
        people = _text("participants").replace("，", ",").replace("、", ",").split(",")
        workflow.add_consultation(s, inc, at, people, _text("conclusion"), actor, t)
        return "会商记录已保存"

    return _act(incident_id, "consultation", run)


@bp.route("/incidents/<int:incident_id>/close", methods=["POST"])
@roles(*STAFF)
def close(incident_id: int) -> WzResponse | tuple[str, int]:
    def run(s: Session, inc: Incident, actor: str, t: datetime) -> str:
        if inc.status != "open":
            raise UserError("只有处理中的事件可以关闭")
        workflow.close_incident(s, inc, _text("reason"), actor, t)
        return "事件已关闭"

    return _act(incident_id, "close", run)


@bp.route("/incidents/<int:incident_id>/reopen", methods=["POST"])
@roles(*STAFF)
def reopen(incident_id: int) -> WzResponse | tuple[str, int]:
    def run(s: Session, inc: Incident, actor: str, t: datetime) -> str:
        if inc.status != "closed":
            raise UserError("只有已关闭的事件可以重新打开")
        workflow.reopen_incident(s, inc, actor, t)
        return "事件已重新打开"

    return _act(incident_id, "close", run)


@bp.route("/incidents/<int:incident_id>/merge", methods=["POST"])
@roles(*STAFF)
def merge(incident_id: int) -> WzResponse | tuple[str, int]:
    def run(s: Session, inc: Incident, actor: str, t: datetime) -> str:
        ids = [i for i in int_list("others") if i != inc.id]
        if not ids:
            raise UserError("请填写要并入本事件的其他事件编号")
        if inc.status == "merged":
            raise UserError("本事件已被合并到其他事件，不能再作为合并目标")
        others = [incident_or_abort(s, i, act=True) for i in ids]
        for other in others:
            if other.status == "merged":
                raise UserError(f"事件 #{other.id} 已被合并过")
        workflow.merge_incidents(s, inc, others, actor, t)
        return f"已将 {len(others)} 个事件并入本事件"

    return _act(incident_id, "merge", run)


@bp.route("/incidents/<int:incident_id>/split", methods=["POST"])
@roles(*STAFF)
def split(incident_id: int) -> WzResponse | tuple[str, int]:
    def run(s: Session, inc: Incident, actor: str, t: datetime) -> str:
        new = workflow.split_posts(s, inc, int_list("post_ids"), _text("title"), actor, t)
        return f"已拆分为新事件 #{new.id}"

    return _act(incident_id, "split", run)


@bp.route("/incidents/<int:incident_id>/public", methods=["POST"])
@roles(*STAFF)
def public(incident_id: int) -> WzResponse | tuple[str, int]:
    def run(s: Session, inc: Incident, actor: str, t: datetime) -> str:
        on = _text("public") == "1"
        workflow.set_public(s, inc, on, _text("summary"), actor, t)
        return "已设为公开" if on else "已取消公开"

    return _act(incident_id, "public", run)


@bp.route("/obligations/<int:obligation_id>/waive", methods=["POST"])
@roles(*STAFF)
def waive(obligation_id: int) -> WzResponse | tuple[str, int]:
    actor = require_user().username
    incident_id = obligation_or_abort(db(), obligation_id).incident_id
    try:
        with write() as session:
            ob = obligation_or_abort(session, obligation_id)
            workflow.waive_obligation(session, ob, _text("reason"), actor, now())
    except UserError as exc:
        return render_incident(incident_id, {f"waive-{obligation_id}": exc.message}, 400)
    flash("时限已豁免")
    return redirect(url_for("incidents.show", incident_id=incident_id) + "#obligations")
