"""User administration (admin only): list, add, change role/unit/active, reset a password.
Every change goes through tracker.auth and is audited."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from tracker.auth import ROLES, create_user, list_users, set_password, update_user
from tracker.errors import UserError
from tracker.models import Unit, User
from tracker.web.access import roles
from tracker.web.context import db, now, require_user, write
from tracker.web.forms import int_field

bp = Blueprint("admin_users", __name__, url_prefix="/admin/users")


@bp.before_request
@roles("admin")
def _admin_only() -> None:
    """Only administrators manage accounts."""


def _render(error: str = "", form: str = "", status: int = 200) -> tuple[str, int]:
    session = db()
    units = dict(session.execute(select(Unit.id, Unit.name).order_by(Unit.name)).all())
    page = render_template(
        "admin/users.html",
        users=list_users(session),
        units=units,
        roles=ROLES,
        error=error,
        form=form,
        values=request.form if request.method == "POST" else {},
    )
    return page, status


@bp.route("", methods=["GET", "POST"])
def index() -> ResponseReturnValue:
    if request.method == "GET":
        return _render()
    f = request.form
    try:
        if f.get("password", "") != f.get("again", ""):
            raise UserError("两次输入的密码不一致")
        with write() as session:
            u = create_user(
                session,
                f.get("username", ""),
                f.get("password", ""),
                f.get("role", ""),
                int_field("unit"),
                require_user().username,
                now(),
            )
            name = u.username
    except UserError as exc:
        return _render(exc.message, "add", 400)
    flash(f"已创建用户 {name}")
    return redirect(url_for("admin_users.index"))


@bp.route("/<int:user_id>", methods=["POST"])
def update(user_id: int) -> ResponseReturnValue:
    me = require_user()
    f = request.form
    try:
        with write() as session:
            u = session.get(User, user_id)
            if u is None:
                abort(404)
            if u.id == me.id and (f.get("role") != me.role or f.get("active") != "1"):
                raise UserError("不能停用自己或修改自己的角色")
            update_user(
                session,
                u,
                role=f.get("role", ""),
                unit_id=int_field("unit"),
                active=f.get("active") == "1",
                actor=me.username,
                now=now(),
            )
            name = u.username
    except UserError as exc:
        return _render(exc.message, f"user-{user_id}", 400)
    flash(f"已更新用户 {name}")
    return redirect(url_for("admin_users.index"))


@bp.route("/<int:user_id>/password", methods=["POST"])
def reset_password(user_id: int) -> ResponseReturnValue:
    f = request.form
    try:
        if f.get("password", "") != f.get("again", ""):
            raise UserError("两次输入的密码不一致")
        with write() as session:
            u = session.get(User, user_id)
            if u is None:
                abort(404)
            set_password(session, u, f.get("password", ""), require_user().username, now())
            name = u.username
    except UserError as exc:
        return _render(exc.message, f"pw-{user_id}", 400)
    flash(f"已重置 {name} 的密码，其原有登录已失效")
    return redirect(url_for("admin_users.index"))
