"""Responses (官方回应): the one service API the CLI, the web UI and the message-board spiders use to log
a response; a response satisfies the pending obligations its form matches."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from tracker.audit import record
from tracker.errors import UserError
from tracker.models import Incident, Obligation, Post, Response, Unit
from tracker.settings_schema import Settings

#: which obligation kinds each response form satisfies
FORM_SATISFIES: dict[str, frozenset[str]] = {
    "通报": frozenset({"权威信息发布", "回应", "持续发布"}),
    "情况说明": frozenset({"权威信息发布", "回应", "持续发布"}),
    "官方声明": frozenset({"权威信息发布", "回应", "持续发布"}),
    "辟谣": frozenset({"权威信息发布", "回应"}),
    "新闻发布会": frozenset({"新闻发布会", "权威信息发布", "回应", "持续发布"}),
    "答复": frozenset({"答复", "回应"}),
    "媒体采访": frozenset({"回应", "持续发布"}),
    "进展通报": frozenset({"持续发布", "回应"}),
}
FORMS = tuple(FORM_SATISFIES)


@dataclass(frozen=True)
class LoggedResponse:
    response: Response
    satisfied: list[Obligation]


def log_response(
    session: Session,
    incident: Incident,
    *,
    form: str,
    published_at: datetime,
    actor: str,
    now: datetime,
    url: str = "",
    text: str = "",
    unit: Unit | None = None,
    unit_name: str = "",
    candidate: bool = False,
) -> LoggedResponse:
    if form not in FORM_SATISFIES:
        raise UserError(f"未知的回应形式 {form!r}（可用：{'、'.join(FORMS)}）")
    if published_at > now + timedelta(minutes=5):
        raise UserError("回应发布时间不能晚于当前时间")
    resp = Response(
        incident_id=incident.id,
        form=form,
        published_at=published_at,
        recorded_at=now,
        recorded_by=actor,
        unit_id=unit.id if unit else incident.lead_unit_id,
        unit_name=unit_name or (unit.name if unit else ""),
        url=url,
        text=text,
        candidate=candidate,
    )
    session.add(resp)
    session.flush()
    resp.effect = response_effect(session, incident.id, published_at)
    record(
        session,
        actor,
        "response.log",
        "response",
        resp.id,
        {"incident": incident.id, "form": form, "published_at": published_at.isoformat(), "url": url},
        now,
    )
    satisfied = satisfy(session, incident, resp, now, actor)
    return LoggedResponse(resp, satisfied)


def satisfy(
    session: Session, incident: Incident, resp: Response, now: datetime, actor: str
) -> list[Obligation]:
    """Mark the obligations this response meets: met on time, or met late (a breach stays recorded)."""
    kinds = FORM_SATISFIES.get(resp.form, frozenset())
    done: list[Obligation] = []
    for ob in session.scalars(
        select(Obligation).where(
            Obligation.incident_id == incident.id, Obligation.state.in_(("pending", "breached"))
        )
    ):
        if ob.kind not in kinds or resp.published_at < ob.start_at - timedelta(hours=1):
            continue
        ob.state = "met" if resp.published_at <= ob.due_at else "met_late"
        ob.met_at = resp.published_at
        ob.response_id = resp.id
        record(
            session,
            actor,
            f"obligation.{ob.state}",
            "obligation",
            ob.id,
            {"response": resp.id, "met_at": resp.published_at.isoformat()},
            now,
        )
        done.append(ob)
    return done


def satisfy_from_existing(
    session: Session, incident: Incident, opened: list[Obligation], now: datetime
) -> None:
    """An obligation opened after a response was already published (e.g. an upgrade) may already be met."""
    responses = session.scalars(
        select(Response)
        .where(Response.incident_id == incident.id, Response.candidate.is_(False))
        .order_by(Response.published_at)
    ).all()
    for resp in responses:
        satisfy(session, incident, resp, now, "系统")


def response_effect(session: Session, incident_id: int, at: datetime) -> dict[str, Any]:
    """Volume and negative share of the incident's posts in the 24 hours before and after a response."""
    t = func.coalesce(Post.published_at, Post.fetched_at)

    def window(lo: datetime, hi: datetime) -> dict[str, Any]:
        total, negative = session.execute(
            select(func.count(), func.coalesce(func.sum(case((Post.sentiment < 0.5, 1), else_=0)), 0)).where(
                Post.incident_id == incident_id, t >= lo, t < hi
            )
        ).one()
        return {"posts": int(total), "negative_share": round(int(negative) / total, 3) if total else None}

    day = timedelta(hours=24)
    return {"before": window(at - day, at), "after": window(at, at + day)}


def add_board_reply(
    session: Session, settings: Settings, incident: Incident, item: Mapping[str, Any], now: datetime
) -> LoggedResponse | None:
    """A message-board spider found the official reply: log it with the board's own reply time."""
    reply_at = item.get("reply_at")
    if reply_at is None:
        return None
    unit_name = str(item.get("reply_unit") or "")
    unit = session.scalar(select(Unit).where(Unit.name == unit_name)) if unit_name else None
    exists = session.scalar(
        select(Response.id).where(
            Response.incident_id == incident.id, Response.url == str(item["url"]), Response.form == "答复"
        )
    )
    if exists:
        return None
    return log_response(
        session,
        incident,
        form="答复",
        published_at=reply_at,
        actor="留言板采集",
        now=now,
        url=str(item["url"]),
        text=str(item.get("reply_text") or ""),
        unit=unit,
        unit_name=unit_name,
    )
