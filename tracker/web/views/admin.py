"""Administration (admin role only): sources with health and "crawl now", topics, units, alert routes
with "send test", calendar overrides.

Sources, topics, units and routes are configured in yuqing.toml, which stays the source of truth (it is
versioned and reviewed; the web process may not even be allowed to write it). These pages show the live
state, check a topic query before it goes into the file, and give the exact TOML to paste; the daemon
mirrors the file into the database at start-up. Calendar overrides live in the database and are edited
here directly.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from alerts.masking import describe
from analysis.query import QuerySyntaxError, parse
from tracker.audit import record
from tracker.calendar_store import set_override
from tracker.clock import to_beijing
from tracker.errors import UserError
from tracker.health import ERROR_NAMES
from tracker.models import CalendarOverride, Post, Source, Topic, Unit
from tracker.web.access import roles
from tracker.web.context import db, now, require_user, write, yq

bp = Blueprint("admin", __name__, url_prefix="/admin")
TOPIC_PREVIEW_POSTS = 5000


@bp.before_request
@roles("admin")
def _admin_only() -> None:
    """Every page under /admin is for administrators (checked before any view runs)."""


@bp.route("/sources")
def sources() -> str:
    rows = list(db().scalars(select(Source).order_by(Source.enabled.desc(), Source.name)))
    return render_template("admin/sources.html", sources=rows, error_names=ERROR_NAMES, now=now())


@bp.route("/sources/<int:source_id>/crawl", methods=["POST"])
def crawl(source_id: int) -> ResponseReturnValue:
    from tracker.crawl_runner import start_crawl

    row = db().get(Source, source_id)
    if row is None:
        return render_template("error.html", code=404, title="来源不存在", message=""), 404
    try:
        started = start_crawl(yq(), row.name)
    except UserError as exc:
        flash(f"无法抓取 {row.name}：{exc.message}")
    else:
        flash(
            f"已开始抓取 {row.name}，完成后刷新页面查看结果" if started else f"{row.name} 正在抓取中，请稍候"
        )
    return redirect(url_for("admin.sources"))


def _toml_block(name: str, query: str, region: str, units: list[str]) -> str:
    def q(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = ["[[topics]]", f"name = {q(name)}", f"query = {q(query)}"]
    if region:
        lines.append(f"region = {q(region)}")
    if units:
        lines.append("units = [" + ", ".join(q(u) for u in units) + "]")
    return "\n".join(lines)


@bp.route("/topics", methods=["GET", "POST"])
def topics() -> ResponseReturnValue:
    configured = list(db().scalars(select(Topic).order_by(Topic.name)))
    result: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        f = request.form
        name, query, region = f.get("name", "").strip(), f.get("query", ""), f.get("region", "").strip()
        units = [
            u.strip()
            for u in f.get("units", "").replace("，", ",").replace("、", ",").split(",")
            if u.strip()
        ]
        try:
            if not name:
                raise UserError("请填写专题名称")
            parsed = parse(query)
            known = set(db().scalars(select(Unit.name)))
            unknown = [u for u in units if u not in known]
            if unknown:
                raise UserError(f"未配置的单位：{'、'.join(unknown)}")
        except QuerySyntaxError as exc:
            result, status = {"error": str(exc)}, 400
        except UserError as exc:
            result, status = {"error": exc.message}, 400
        else:
            result = {
                "terms": parsed.terms,
                "toml": _toml_block(name, query.strip(), region, units),
                "matches": _preview(parsed),
            }
    return render_template("admin/topics.html", topics=configured, result=result, values=request.form), status


def _preview(parsed: Any) -> list[Post]:
    """Recent posts the query would match: a quick check that it catches what was meant."""
    recent = db().scalars(select(Post).order_by(Post.id.desc()).limit(TOPIC_PREVIEW_POSTS))
    return [p for p in recent if parsed.matches(p.title + "\n" + p.text_or_empty)][:20]


@bp.route("/units")
def units() -> str:
    rows = list(db().scalars(select(Unit).order_by(Unit.name)))
    categories = {cfg.name: cfg.categories for cfg in yq().settings.units}
    return render_template("admin/units.html", units=rows, categories=categories)


@bp.route("/routes", methods=["GET", "POST"])
def routes() -> ResponseReturnValue:
    configured = yq().settings.alerts.routes
    results: list[str] = []
    tested = ""
    if request.method == "POST":
        from tracker.outbox import send_test

        tested = request.form.get("route", "")
        try:
            lines = send_test(yq(), tested)
        except (UserError, ValueError) as exc:
            lines = [exc.message if isinstance(exc, UserError) else str(exc)]
        channels = [c for r in configured if r.name == tested for c in r.channels]
        for line in lines:
            for url in channels:
                line = line.replace(url, describe(url))
            results.append(line)
    shown = [(r, [describe(c) for c in r.channels]) for r in configured]
    return render_template("admin/routes.html", routes=shown, results=results, tested=tested)


@bp.route("/calendar", methods=["GET", "POST"])
def calendar() -> ResponseReturnValue:
    error, status = "", 200
    if request.method == "POST":
        f = request.form
        try:
            try:
                day = date.fromisoformat(f.get("day", "").strip())
            except ValueError:
                raise UserError("日期格式应为 YYYY-MM-DD") from None
            if f.get("kind") not in ("work", "rest"):
                raise UserError("请选择工作日或休息日")
            with write() as session:
                set_override(session, day, f["kind"] == "work", f.get("note", "").strip())
                payload = {"day": day.isoformat(), "workday": f["kind"] == "work", "note": f.get("note", "")}
                record(
                    session, require_user().username, "calendar.override", "calendar", None, payload, now()
                )
        except UserError as exc:
            error, status = exc.message, 400
        else:
            flash(f"已设置 {day.isoformat()} 为{'工作日' if f['kind'] == 'work' else '休息日'}")
            return redirect(url_for("admin.calendar"))
    since = to_beijing(now()).date() - timedelta(days=60)
    rows = list(
        db().scalars(
            select(CalendarOverride).where(CalendarOverride.day >= since).order_by(CalendarOverride.day)
        )
    )
    return render_template("admin/calendar.html", rows=rows, error=error, values=request.form), status
