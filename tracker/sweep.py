"""The sweep (every minute): apply policy to changed incidents, mark breaches, queue warnings,
escalations and commitment reminders, then deliver due outbox rows.

Idempotent: every step moves a row to a state the step's query no longer selects, and every alert has a
unique dedupe key, so running it twice changes nothing the second time. It survives downtime: a deadline
that passed while the daemon was down is recorded as breached at its true time and alerted once.
Only indexed queries select work: (state, due_at), (state, next_check_at), (status, due_at), needs_policy.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from tracker.app import App
from tracker.audit import record
from tracker.calendar_store import load_calendar
from tracker.db import transaction
from tracker.deadlines import warning_times
from tracker.models import Commitment, Incident, IncidentUnit, Obligation
from tracker.notify import queue_incident_alert
from tracker.policy import SYSTEM, apply_policy
from tracker.settings_schema import Settings

log = logging.getLogger(__name__)
BATCH = 2000
#: what an alert about an obligation reads: load it for the whole batch in a few queries, not per row
PRELOAD = (
    selectinload(Obligation.incident).selectinload(Incident.units).selectinload(IncidentUnit.unit),
    selectinload(Obligation.incident).selectinload(Incident.lead_unit),
)


@dataclass
class SweepReport:
    policy_applied: int = 0
    opened: int = 0
    breached: int = 0
    warned: int = 0
    escalated: int = 0
    commitments: int = 0
    delivered: int = 0
    failed: int = 0
    notes: list[str] = field(default_factory=list)

    def changed(self) -> bool:
        return any(
            (self.opened, self.breached, self.warned, self.escalated, self.commitments, self.delivered)
        )


def run(app: App, now: datetime | None = None, deliver: bool = True) -> SweepReport:
    now = now or app.clock.now()
    report = SweepReport()
    s = app.settings
    with transaction(app.sessions) as session:
        _apply_policies(session, s, now, report)
    with transaction(app.sessions) as session:
        _breaches(session, s, now, report)
    with transaction(app.sessions) as session:
        _escalations(session, s, now, report)
    with transaction(app.sessions) as session:
        _warnings(session, s, now, report)
    with transaction(app.sessions) as session:
        from tracker.commitments import sweep_commitments

        report.commitments = sweep_commitments(session, s, now)
    with transaction(app.sessions) as session:
        _provisional_calendar(session, s, now)
    with transaction(app.sessions) as session:
        from tracker.audit import write_anchor

        write_anchor(session, app.path("var/audit.anchor"), now)
    if deliver:
        from tracker.outbox import deliver_due

        result = deliver_due(app, now)
        report.delivered, report.failed = result.sent, result.failed
    return report


def _apply_policies(session: Session, s: Settings, now: datetime, report: SweepReport) -> None:
    incidents = session.scalars(
        select(Incident).where(Incident.needs_policy.is_(True), Incident.status == "open").limit(BATCH)
    ).all()
    if not incidents:
        return
    cal = load_calendar(session)
    for incident in incidents:
        opened = apply_policy(session, s, incident, now, cal)
        report.policy_applied += 1
        report.opened += len(opened)
        if any(o.state == "pending" for o in opened):
            queue_incident_alert(
                session,
                s,
                incident,
                "new_incident",
                f"incident:{incident.id}:open:{incident.effective_grade}",
                now,
            )


def _breaches(session: Session, s: Settings, now: datetime, report: SweepReport) -> None:
    due = session.scalars(
        select(Obligation)
        .where(Obligation.state == "pending", Obligation.due_at <= now)
        .options(*PRELOAD)
        .order_by(Obligation.due_at)
        .limit(BATCH)
    ).all()
    for ob in due:
        ob.state, ob.breached_at = "breached", ob.due_at  # the true time, even after downtime
        ob.escalation_stage = 1
        ob.next_check_at = ob.due_at + (ob.due_at - ob.start_at) * s.policy.escalate_after
        record(
            session, SYSTEM, "obligation.breach", "obligation", ob.id, {"due_at": ob.due_at.isoformat()}, now
        )
        queue_incident_alert(session, s, ob.incident, "breach", f"ob:{ob.id}:breach", now, ob=ob)
        queue_incident_alert(session, s, ob.incident, "escalation", f"ob:{ob.id}:esc:1", now, ob=ob, stage=1)
        report.breached += 1


def _escalations(session: Session, s: Settings, now: datetime, report: SweepReport) -> None:
    """Still unmet well after the breach: up the ladder to the duty leader (stage 2), once."""
    rows = session.scalars(
        select(Obligation)
        .where(
            Obligation.state == "breached", Obligation.next_check_at <= now, Obligation.escalation_stage == 1
        )
        .options(*PRELOAD)
        .limit(BATCH)
    ).all()
    for ob in rows:
        ob.escalation_stage = 2
        queue_incident_alert(session, s, ob.incident, "escalation", f"ob:{ob.id}:esc:2", now, ob=ob, stage=2)
        report.escalated += 1


def _warnings(session: Session, s: Settings, now: datetime, report: SweepReport) -> None:
    # Only (state, next_check_at) in SQL: with `due_at > now` too, SQLite (without statistics) picks the
    # (state, due_at) index and reads every pending row. Rows already past due are the breach step's.
    rows = session.scalars(
        select(Obligation)
        .where(Obligation.state == "pending", Obligation.next_check_at <= now)
        .options(*PRELOAD)
        .limit(BATCH)
    ).all()
    for ob in rows:
        if ob.due_at <= now:
            continue
        times = warning_times(ob.start_at, ob.due_at, s.policy.warn_fractions)
        level = sum(1 for t in times if t <= now)  # missed warnings collapse into the latest one
        if level > ob.warned_level:
            ob.warned_level = level
            queue_incident_alert(session, s, ob.incident, "warning", f"ob:{ob.id}:warn:{level}", now, ob=ob)
            report.warned += 1
        later = [t for t in times if t > now]
        ob.next_check_at = later[0] if later else ob.due_at


def _provisional_calendar(session: Session, s: Settings, now: datetime) -> None:
    """Deadlines past the holiday data are provisional: tell the admin once per year to load the notice."""
    from alerts.routing import AlertEvent
    from tracker.notify import queue

    first = session.scalar(
        select(Obligation).where(Obligation.state == "pending", Obligation.provisional.is_(True)).limit(1)
    ) or session.scalar(
        select(Commitment).where(Commitment.status == "pending", Commitment.provisional.is_(True)).limit(1)
    )
    if first is None or first.due_at is None:
        return
    year = (first.due_at + timedelta(hours=8)).year
    queue(
        session,
        s,
        f"calendar:provisional:{year}",
        AlertEvent(kind="calendar"),
        f"【日历提醒】{year}年节假日安排尚未导入",
        f"有时限落在{year}年，但系统中没有{year}年的节假日与调休数据，相关截止时间为暂定值。\n"
        f"请在国务院办公厅发布通知后运行：yuqing calendar import 文件，或在管理页面录入。",
        now,
    )
