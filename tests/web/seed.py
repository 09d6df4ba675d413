"""Test data for the web UI: two units, one user per role, and incidents in every deadline state.

Rows are inserted directly (the way ingest and the sweep would leave them) at a fixed ``NOW``; obligations
come from the real policy rules (tracker.policy.apply_policy).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

import tracker.auth as auth
from tracker.app import App
from tracker.clock import FrozenClock
from tracker.db import transaction
from tracker.models import Base, Commitment, Incident, IncidentUnit, Obligation, Post, Response, Source, Unit
from tracker.policy import apply_policy
from tracker.responses import response_effect
from tracker.settings_schema import Settings

#: Monday 2026-11-23 14:00 Beijing time: a working day far from holidays
NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
PASSWORD = "Yuqing-test-2026"
ROLES = ("admin", "duty", "unit_a", "unit_b", "reviewer")
_n = itertools.count(1)


@dataclass(frozen=True)
class Seeded:
    unit_a: int
    unit_b: int
    inc_a: int  # lead unit A, 重大 suggested: 5 h and 24 h obligations, pending (warning)
    inc_b: int  # lead unit B: 48 h obligation already breached
    inc_c: int  # unit B responsible (not lead): a response, commitments
    ob_a: int
    ob_b: int
    resp_a: int
    resp_b: int
    cm_a: int
    cm_b: int
    post_a: int


def build_app(tmp_path: Path, *, public: bool = False, host: str = "127.0.0.1") -> App:
    auth.SCRYPT_LOG2_N = 10  # tests: cheap hashes (the format stores the cost, so this is safe)
    settings = Settings()
    tmp_path.mkdir(parents=True, exist_ok=True)
    settings.database.url = f"sqlite:///{tmp_path / 'web.db'}"
    settings.root = str(tmp_path)
    settings.web.public_disclosure = public
    settings.web.host = host
    app = App(settings, FrozenClock(NOW))
    Base.metadata.create_all(app.engine)
    return app


def _post(
    session: Session, source: Source, incident: Incident, at: datetime, title: str, text: str, s: float
) -> Post:
    n = next(_n)
    p = Post(
        source_id=source.id,
        external_id=f"p{n}",
        url=f"http://127.0.0.1/forum/{n}.html",
        title=title,
        text=text,
        published_at=at,
        fetched_at=at,
        content_hash=f"h{n}",
        simhash=n,
        band0=n,
        band1=n,
        band2=n,
        band3=n,
        sentiment=s,
        sentiment_model="test",
        category=incident.category,
        incident_id=incident.id,
    )
    session.add(p)
    incident.post_count += 1
    incident.negative_count += int(s < 0.5)
    return p


def _incident(
    session: Session, title: str, category: str, grade: str, first: datetime, lead: int | None
) -> Incident:
    inc = Incident(
        title=title,
        category=category,
        suggested_grade=grade,
        suggested_reasons=["3小时内帖子数增长较快", "负面帖子占比超过60%"],
        category_evidence=["食物中毒", "呕吐"] if category == "food_drug_safety" else ["积水"],
        detected_at=first + timedelta(minutes=20),
        first_post_at=first,
        last_post_at=first,
        lead_unit_id=lead,
        source_kind="feed",
    )
    if grade == "IV":  # 一般 opens obligations only once confirmed (研判); 重大 opens them on suggestion
        inc.grade, inc.grade_confirmed, inc.graded_at = grade, True, first + timedelta(minutes=30)
    session.add(inc)
    session.flush()
    return inc


def _users(session: Session, unit_a: int, unit_b: int) -> None:
    for name, role, unit in (
        ("admin", "admin", None),
        ("duty", "duty", None),
        ("unit_a", "unit", unit_a),
        ("unit_b", "unit", unit_b),
        ("reviewer", "reviewer", None),
    ):
        auth.create_user(session, name, PASSWORD, role, unit, "test", NOW)


def _respond(session: Session, inc: Incident, unit: int, text: str, at: datetime) -> tuple[int, int]:
    """A response and one pending commitment, stored directly so no obligation changes state."""
    r = Response(
        incident_id=inc.id,
        form="媒体采访",
        published_at=at,
        recorded_at=at,
        recorded_by="duty",
        unit_id=unit,
        text=text,
    )
    session.add(r)
    session.flush()
    r.effect = response_effect(session, inc.id, at)
    c = Commitment(
        incident_id=inc.id,
        response_id=r.id,
        content="10个工作日内完成排查整改",
        due_at=NOW + timedelta(days=2),
        unit_id=unit,
        status="pending",
        created_at=at,
        confirmed_by="duty",
    )
    session.add(c)
    session.flush()
    return r.id, c.id


def seed(app: App) -> Seeded:
    with transaction(app.sessions) as s:
        a, b = Unit(name="市教育局"), Unit(name="市市场监管局")
        src = Source(name="本地论坛", kind="feed", url="http://127.0.0.1/forum/")
        s.add_all([a, b, src])
        s.flush()
        _users(s, a.id, b.id)
        inc_a = _incident(
            s, "实验小学食堂疑似食物中毒", "food_drug_safety", "II", NOW - timedelta(hours=3), a.id
        )
        s.add(IncidentUnit(incident_id=inc_a.id, unit_id=a.id))
        first = None
        for i in range(12):
            p = _post(
                s,
                src,
                inc_a,
                NOW - timedelta(minutes=180 - 15 * i),
                f"实验小学学生呕吐腹泻{i}",
                "多名学生午饭后呕吐腹泻送医，家长质疑食堂卫生。",
                0.2 + 0.05 * (i % 4),
            )
            first = first or p
        inc_b = _incident(
            s, "某小区地下车库积水严重", "urban_management", "IV", NOW - timedelta(hours=50), b.id
        )
        for d in range(7):
            _post(
                s,
                src,
                inc_b,
                NOW - timedelta(days=d, hours=1),
                f"车库积水第{d}天",
                "地下车库积水没过脚踝，物业不管。",
                0.3 if d % 2 else 0.7,
            )
        inc_c = _incident(s, "公交线路调整引发出行不便", "transport", "IV", NOW - timedelta(days=5), None)
        s.add(IncidentUnit(incident_id=inc_c.id, unit_id=b.id))
        _post(s, src, inc_c, NOW - timedelta(days=5), "公交线路调整", "新线路绕远，上班要多走二十分钟。", 0.4)
        s.flush()
        for inc in (inc_a, inc_b, inc_c):
            apply_policy(s, app.settings, inc, inc.detected_at)
        ob_b = s.query(Obligation).filter_by(incident_id=inc_b.id).one()
        ob_b.state, ob_b.breached_at = "breached", ob_b.due_at
        ob_a = s.query(Obligation).filter_by(incident_id=inc_a.id, kind="权威信息发布").one()
        resp_a, cm_a = _respond(s, inc_a, a.id, "教育局已介入调查。", NOW - timedelta(hours=1))
        resp_b, cm_b = _respond(s, inc_b, b.id, "物业已安排抽水。", NOW - timedelta(hours=10))
        _respond(s, inc_c, b.id, "公交公司将优化线路。", NOW - timedelta(days=4))
        assert first is not None
        return Seeded(
            a.id, b.id, inc_a.id, inc_b.id, inc_c.id, ob_a.id, ob_b.id, resp_a, resp_b, cm_a, cm_b, first.id
        )
