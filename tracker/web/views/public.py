"""回应公开: the public disclosure page and its Atom feed. Off unless ``web.public_disclosure`` is true;
reachable without login; shows only incidents staff marked public, and only the summary staff wrote
(never post text or titles), with personal data masked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, abort, render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select

from tracker.commitments import STATUS_NAMES
from tracker.models import Commitment, Incident, Response, Unit
from tracker.web.context import db, now, yq
from tracker.web.forms import page_arg
from tracker.web.masking import mask_personal

bp = Blueprint("public", __name__, url_prefix="/public")
PER_PAGE = 20


@dataclass(frozen=True)
class PublicCommitment:
    content: str
    due_at: datetime | None
    status: str  # Chinese
    kept: bool | None
    disclosed_url: str


@dataclass(frozen=True)
class PublicItem:
    id: int
    summary: str
    received_at: datetime | None
    replied_at: datetime | None
    reply_unit: str
    reply_text: str
    commitments: list[PublicCommitment]


def _enabled() -> None:
    if not yq().settings.web.public_disclosure:
        abort(404)


def _commitment(c: Commitment) -> PublicCommitment:
    kept = None
    if c.status == "fulfilled":
        kept = c.due_at is None or (c.fulfilled_at is not None and c.fulfilled_at <= c.due_at)
    status = STATUS_NAMES.get(c.status, c.status)
    if c.status == "fulfilled":
        status = "已按期兑现" if kept else "已兑现（逾期）"
    return PublicCommitment(mask_personal(c.content), c.due_at, status, kept, c.disclosed_url or "")


def _items(page: int) -> tuple[list[PublicItem], int]:
    session = db()
    where = (Incident.public.is_(True), Incident.status != "merged")
    total = session.scalar(select(func.count()).select_from(Incident).where(*where)) or 0
    incidents = list(
        session.scalars(
            select(Incident)
            .where(*where)
            .order_by(func.coalesce(Incident.first_post_at, Incident.detected_at).desc(), Incident.id.desc())
            .limit(PER_PAGE)
            .offset((page - 1) * PER_PAGE)
        )
    )
    ids = [i.id for i in incidents]
    first_reply: dict[int, Response] = {}
    for r in session.scalars(
        select(Response)
        .where(Response.incident_id.in_(ids), Response.candidate.is_(False))
        .order_by(Response.published_at)
    ):
        first_reply.setdefault(r.incident_id, r)
    commitments: dict[int, list[PublicCommitment]] = {}
    for c in session.scalars(
        select(Commitment)
        .where(Commitment.incident_id.in_(ids), Commitment.status != "cancelled")
        .order_by(Commitment.id)
    ):
        commitments.setdefault(c.incident_id, []).append(_commitment(c))
    units = dict(session.execute(select(Unit.id, Unit.name)).all())
    items = []
    for inc in incidents:
        reply = first_reply.get(inc.id)
        unit = (reply.unit_name or units.get(reply.unit_id or 0, "")) if reply else ""
        items.append(
            PublicItem(
                id=inc.id,
                summary=mask_personal(inc.public_summary),
                received_at=inc.first_post_at or inc.detected_at,
                replied_at=reply.published_at if reply else None,
                reply_unit=unit,
                reply_text=mask_personal(reply.text) if reply else "",
                commitments=commitments.get(inc.id, []),
            )
        )
    return items, total


@bp.route("")
def index() -> ResponseReturnValue:
    _enabled()
    page = page_arg()
    items, total = _items(page)
    pages = max(1, -(-total // PER_PAGE))
    return render_template("public.html", items=items, page=page, pages=pages, total=total)


@bp.route("/feed.xml")
def feed() -> ResponseReturnValue:
    _enabled()
    items, _ = _items(1)
    body = render_template(
        "public_feed.xml", items=items, updated=now(), base=yq().settings.web.base_url.rstrip("/")
    )
    return body, 200, {"Content-Type": "application/atom+xml; charset=utf-8"}
