"""Turn tracker events into alert-outbox rows, in the caller's transaction (the state change and its
alert commit together or not at all). Each row's dedupe key is unique, so a repeated sweep or a restart
never queues the same alert twice."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, SessionTransaction

from alerts.messages import format_alert
from alerts.routing import AlertEvent, Route, escalation_targets, match_routes
from analysis.taxonomy import GRADES, category_name
from tracker.clock import fmt_beijing
from tracker.models import AlertOutbox, Incident, Obligation, Unit
from tracker.settings_schema import Settings

#: used when no route is configured: alerts still reach the daemon's log instead of vanishing
FALLBACK_ROUTE = Route(name="默认", channels=("console://",))


_routes_cache: dict[int, tuple[Settings, list[Route]]] = {}


def routes_from_settings(settings: Settings) -> list[Route]:
    """The configured routes (built once per settings object: the sweep asks for every alert)."""
    from alerts.route_config import routes_from_config
    from tracker.validation import route_dicts

    cached = _routes_cache.get(id(settings))
    if cached is None or cached[0] is not settings:
        cached = (settings, list(routes_from_config(route_dicts(settings))))
        _routes_cache[id(settings)] = cached
    return cached[1]


def queue(
    session: Session,
    settings: Settings,
    key: str,
    event: AlertEvent,
    title: str,
    body: str,
    now: datetime,
    incident_id: int | None = None,
    only_route: str | None = None,
    mentions: Sequence[str] = (),
) -> int:
    """Queue one outbox row per matching route and channel; they are written when the caller's transaction
    commits. Returns how many rows were queued (an already-known dedupe key is skipped at commit)."""
    routes = routes_from_settings(settings)
    if only_route is not None:
        targets = [r for r in routes if r.name == only_route]
    elif event.kind == "escalation":
        targets = escalation_targets(event.stage, routes, event)
    else:
        targets = match_routes(routes, event)
    if not routes:
        targets = [FALLBACK_ROUTE]
    rows = [
        {
            "dedupe_key": f"{key}|{route.name}|{i}",
            "route": route.name,
            "channel": channel,
            "event": event.kind,
            "incident_id": incident_id,
            "title": title,
            "body": body,
            "mentions": list(dict.fromkeys([*route.mention_mobiles, *mentions])),
            "created_at": now,
            "next_attempt_at": now,
            "attempts": 0,
            "failed": False,
        }
        for route in targets
        for i, channel in enumerate(route.channels)
    ]
    if rows:
        session.info.setdefault(_PENDING_KEY, []).extend(rows)
    return len(rows)


_PENDING_KEY = "yuqing_outbox_rows"


# insert=True: before the audit chain's hook (tracker.audit), which must be the last write of a transaction
@event.listens_for(Session, "before_commit", insert=True)
def _write_pending_alerts(session: Session) -> None:
    """Write the alerts queued in this transaction just before it commits: with the state change that
    caused them (or not at all), in one statement however many a sweep queued. The unique dedupe key
    decides: a row queued before (an earlier sweep, another process, before a restart) is left alone,
    which is what makes queueing idempotent."""
    rows = list({row["dedupe_key"]: row for row in session.info.pop(_PENDING_KEY, [])}.values())
    if rows:
        with session.no_autoflush:
            session.connection().execute(_insert_ignoring_duplicates(session), rows)


@event.listens_for(Session, "after_transaction_end")
def _drop_pending_alerts(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # rolled back (or committed: already written and popped)
        session.info.pop(_PENDING_KEY, None)


def _insert_ignoring_duplicates(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    insert = sqlite_insert if dialect == "sqlite" else pg_insert
    return insert(AlertOutbox).on_conflict_do_nothing(index_elements=["dedupe_key"])


def incident_event(session: Session, incident: Incident, kind: str, stage: int = 0) -> AlertEvent:
    units = tuple(link.unit.name for link in incident.units)
    lead = incident.lead_unit
    if lead is not None and lead.name not in units:
        units = (lead.name, *units)
    return AlertEvent(
        kind=kind,
        grade=GRADES.get(incident.effective_grade),
        category=incident.category,
        region=incident.region or None,
        units=units,
        topics=tuple(incident.topics),
        stage=stage,
    )


def incident_link(settings: Settings, incident_id: int) -> str:
    return f"{settings.web.base_url.rstrip('/')}/incidents/{incident_id}"


def deadline_label(ob: Obligation) -> str:
    from tracker.durations import parse_within

    return f"{parse_within(ob.within).label}{ob.kind}时限"


def queue_incident_alert(
    session: Session,
    settings: Settings,
    incident: Incident,
    kind: str,
    key: str,
    now: datetime,
    ob: Obligation | None = None,
    stage: int = 0,
    extra_lines: Sequence[str] = (),
) -> int:
    """An alert about an incident, naming its next deadline (or ``ob``'s) and the time left."""
    if ob is None:
        ob = session.scalar(
            select(Obligation)
            .where(Obligation.incident_id == incident.id, Obligation.state == "pending")
            .order_by(Obligation.due_at)
            .limit(1)
        )
    lead = session.get(Unit, incident.lead_unit_id) if incident.lead_unit_id else None
    grade_name = GRADES.get(incident.effective_grade)
    lines = list(extra_lines)
    if ob is not None and ob.provisional:
        lines.append("该截止时间为暂定值：节假日安排数据缺失，请导入当年通知")
    title, body = format_alert(
        kind,
        grade_name,
        incident.title,
        category_name(incident.category),
        fmt_beijing(incident.first_post_at),
        deadline_label(ob) if ob else None,
        fmt_beijing(ob.due_at) if ob else None,
        (ob.due_at - now).total_seconds() if ob else None,
        lead.name if lead else None,
        incident_link(settings, incident.id),
        extra_lines=lines,
    )
    return queue(
        session,
        settings,
        key,
        incident_event(session, incident, kind, stage),
        title,
        body,
        now,
        incident_id=incident.id,
        # breaches and escalations @ the people on duty in the lead unit (and, up the ladder, its parent)
        mentions=_duty_mobiles(lead, stage) if kind in ("breach", "escalation") else (),
    )


def _duty_mobiles(lead: Unit | None, stage: int) -> list[str]:
    mobiles: list[str] = []
    unit = lead
    for _ in range(max(1, stage)):
        if unit is None:
            break
        mobiles.extend(str(m) for m in unit.duty_mobiles)
        unit = unit.parent
    return mobiles
