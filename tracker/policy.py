"""Policy rules: which obligations (with which deadlines) an incident has, given its grade, category,
source kind and region. Re-run whenever any of those change: new obligations open, ones that no longer
apply are waived (never deleted), and a later upgrade re-opens what a downgrade waived."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis.taxonomy import GRADES, grade_code, grade_rank
from tracker.audit import record
from tracker.calendar_store import load_calendar
from tracker.deadlines import compute_due, parse_office_close, warning_times
from tracker.models import Incident, Obligation, Source
from tracker.settings_schema import MilestoneSettings, RuleSettings, Settings
from tracker.workcal import WorkCalendar

SYSTEM = "系统"
#: `within = "reply_days"` means the source's own `reply_days` working days (message boards)
SOURCE_REPLY_DAYS = "reply_days"
BASIS_NAMES = {"first_post": "首发", "detected": "发现", "graded": "定级"}

DEFAULT_RULES: tuple[RuleSettings, ...] = (
    RuleSettings(
        name="重大及以上舆情",
        grades=["II", "I"],
        milestones=[
            MilestoneSettings(kind="权威信息发布", within="5h", basis="first_post"),
            MilestoneSettings(kind="新闻发布会", within="24h", basis="first_post"),
        ],
    ),
    RuleSettings(
        name="一般政务舆情",
        grades=["IV", "III"],
        source_kinds=["!msgboard"],
        milestones=[MilestoneSettings(kind="回应", within="48h", basis="first_post")],
    ),
    RuleSettings(
        name="留言板答复",
        source_kinds=["msgboard"],
        milestones=[MilestoneSettings(kind="答复", within=SOURCE_REPLY_DAYS, basis="first_post")],
    ),
)


def rules(settings: Settings) -> tuple[RuleSettings, ...]:
    return tuple(settings.policy.rules) or DEFAULT_RULES


def policy_grade(incident: Incident, settings: Settings) -> str | None:
    """The grade the rules see: the confirmed one, or a suggestion at or above `policy.auto_grade_min`
    (a 5-hour window must not wait for someone to confirm it)."""
    if incident.grade_confirmed and incident.grade:
        return incident.grade
    if grade_rank(incident.suggested_grade) >= grade_rank(grade_code(settings.policy.auto_grade_min)):
        return incident.suggested_grade
    return None


def _kind_matches(patterns: list[str], kind: str) -> bool:
    if not patterns:
        return True
    include = [p for p in patterns if not p.startswith("!")]
    exclude = {p[1:] for p in patterns if p.startswith("!")}
    return kind not in exclude and (not include or kind in include)


def rule_applies(rule: RuleSettings, incident: Incident, grade: str | None) -> bool:
    if rule.grades and (grade is None or grade not in {grade_code(g) for g in rule.grades}):
        return False
    if rule.categories and incident.category not in rule.categories:
        return False
    if rule.regions and incident.region not in rule.regions:
        return False
    return _kind_matches(rule.source_kinds, incident.source_kind)


@dataclass(frozen=True)
class Wanted:
    rule: str
    milestone: MilestoneSettings
    within: str


def wanted_obligations(session: Session, settings: Settings, incident: Incident) -> list[Wanted]:
    grade = policy_grade(incident, settings)
    out: list[Wanted] = []
    for rule in rules(settings):
        if not rule_applies(rule, incident, grade):
            continue
        for m in rule.milestones:
            within = m.within
            if within == SOURCE_REPLY_DAYS:
                within = f"{_reply_days(session, settings, incident)}wd"
            out.append(Wanted(rule.name, m, within))
    return out


def _reply_days(session: Session, settings: Settings, incident: Incident) -> int:
    from tracker.models import Post

    name = session.scalar(
        select(Source.name)
        .join(Post, Post.source_id == Source.id)
        .where(Post.incident_id == incident.id)
        .limit(1)
    )
    cfg = settings.source(name) if name else None
    return cfg.reply_days if cfg else 5


def start_time(incident: Incident, basis: str, now: datetime) -> datetime:
    if basis == "detected":
        return incident.detected_at
    if basis == "graded":
        return incident.graded_at or now
    return incident.first_post_at or incident.detected_at


def apply_policy(
    session: Session,
    settings: Settings,
    incident: Incident,
    now: datetime,
    cal: WorkCalendar | None = None,
    actor: str = SYSTEM,
) -> list[Obligation]:
    """Bring the incident's obligations in line with the rules. Returns the obligations opened."""
    from tracker.responses import satisfy_from_existing

    cal = cal or load_calendar(session)
    existing = session.scalars(select(Obligation).where(Obligation.incident_id == incident.id)).all()
    by_key = {(o.rule, o.kind): o for o in existing}
    wanted = wanted_obligations(session, settings, incident)
    wanted_keys = {(w.rule, w.milestone.kind) for w in wanted}
    opened: list[Obligation] = []
    for w in wanted:
        ob = by_key.get((w.rule, w.milestone.kind))
        if ob is None:
            ob = _open(session, settings, incident, w, now, cal)
            opened.append(ob)
            record(session, actor, "obligation.open", "obligation", ob.id, _describe(ob), now)
        elif ob.state == "waived" and ob.waived_by == SYSTEM:
            ob.state, ob.waived_reason, ob.waived_by, ob.waived_at = "pending", None, None, None
            record(session, actor, "obligation.reopen", "obligation", ob.id, _describe(ob), now)
            opened.append(ob)
    for ob in existing:
        if ob.state == "pending" and (ob.rule, ob.kind) not in wanted_keys:
            grade = GRADES.get(incident.effective_grade, incident.effective_grade)
            ob.state, ob.waived_by, ob.waived_at = "waived", SYSTEM, now
            ob.waived_reason = f"事件等级调整为{grade}，规则“{ob.rule}”不再适用"
            record(session, actor, "obligation.waive", "obligation", ob.id, {"reason": ob.waived_reason}, now)
    incident.needs_policy = False
    if opened:
        satisfy_from_existing(session, incident, opened, now)
    return opened


def _open(
    session: Session, settings: Settings, incident: Incident, w: Wanted, now: datetime, cal: WorkCalendar
) -> Obligation:
    start = start_time(incident, w.milestone.basis, now)
    due = compute_due(start, w.within, cal, parse_office_close(settings.policy.office_close))
    warns = warning_times(start, due.due, settings.policy.warn_fractions)
    ob = Obligation(
        incident_id=incident.id,
        kind=w.milestone.kind,
        rule=w.rule,
        within=w.within,
        basis=w.milestone.basis,
        start_at=start,
        due_at=due.due,
        provisional=due.provisional,
        state="pending",
        warned_level=0,
        next_check_at=warns[0] if warns else due.due,
        unit_id=incident.lead_unit_id,
    )
    session.add(ob)
    session.flush()
    return ob


def _describe(ob: Obligation) -> dict[str, object]:
    return {
        "kind": ob.kind,
        "rule": ob.rule,
        "within": ob.within,
        "basis": ob.basis,
        "start_at": ob.start_at.isoformat(),
        "due_at": ob.due_at.isoformat(),
        "provisional": ob.provisional,
    }
