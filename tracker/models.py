"""SQLAlchemy 2.x typed models for the whole domain (DESIGN §4).

Times are stored as UTC. ``UTCDateTime`` stores naive UTC and hands back aware UTC on both SQLite (which has
no time zones) and PostgreSQL, so code never meets a naive datetime from the database.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database: pass an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class Source(Base):
    __tablename__ = "sources"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    url: Mapped[str] = mapped_column(Text, default="")
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    interval_s: Mapped[int] = mapped_column(Integer, default=600)
    region: Mapped[str] = mapped_column(String(100), default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    last_ok_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error_kind: Mapped[str | None] = mapped_column(String(30))
    last_error: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_crawl_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    total_posts: Mapped[int] = mapped_column(Integer, default=0)


class Unit(Base):
    __tablename__ = "units"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    region: Mapped[str] = mapped_column(String(100), default="")
    duty_mobiles: Mapped[list[Any]] = mapped_column(default=list)
    parent: Mapped[Unit | None] = relationship(remote_side="Unit.id")


class Topic(Base):
    __tablename__ = "topics"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    query: Mapped[str] = mapped_column(Text)
    region: Mapped[str] = mapped_column(String(100), default="")
    unit_names: Mapped[list[Any]] = mapped_column(default=list)


class Incident(Base):
    __tablename__ = "incidents"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(50), default="other", index=True)
    category_evidence: Mapped[list[Any]] = mapped_column(default=list)
    grade: Mapped[str | None] = mapped_column(
        String(4), index=True
    )  # confirmed grade: I..IV, None until 研判
    grade_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    suggested_grade: Mapped[str] = mapped_column(String(4), default="IV")
    suggested_reasons: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)  # open, closed, merged
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    region: Mapped[str] = mapped_column(String(100), default="")
    source_kind: Mapped[str] = mapped_column(String(30), default="")
    topics: Mapped[list[Any]] = mapped_column(default=list)
    first_post_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    graded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_post_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lead_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    post_count: Mapped[int] = mapped_column(Integer, default=0)
    negative_count: Mapped[int] = mapped_column(Integer, default=0)
    heat: Mapped[float] = mapped_column(Float, default=0.0)
    disposition: Mapped[str | None] = mapped_column(String(30))  # 分类处置
    public: Mapped[bool] = mapped_column(Boolean, default=False)  # 回应公开 page
    public_summary: Mapped[str] = mapped_column(Text, default="")
    needs_policy: Mapped[bool] = mapped_column(Boolean, default=True, index=True)  # re-run policy rules
    # sentences of its posts that name casualties or critical terms: what the severity suggestion reads,
    # kept as posts arrive so a new post never re-reads the whole incident
    severity_text: Mapped[str] = mapped_column(Text, default="")
    lead_unit: Mapped[Unit | None] = relationship(foreign_keys=[lead_unit_id])
    units: Mapped[list[IncidentUnit]] = relationship(back_populates="incident", cascade="all, delete-orphan")

    @property
    def negative_share(self) -> float:
        return self.negative_count / self.post_count if self.post_count else 0.0

    @property
    def effective_grade(self) -> str:
        return self.grade or self.suggested_grade


class IncidentUnit(Base):
    """A responsible unit (责任单位) of an incident."""

    __tablename__ = "incident_units"
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    incident: Mapped[Incident] = relationship(back_populates="units")
    unit: Mapped[Unit] = relationship()


class GradeChange(Base):
    __tablename__ = "grade_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(100))
    old_grade: Mapped[str | None] = mapped_column(String(4))
    new_grade: Mapped[str] = mapped_column(String(4))
    reason: Mapped[str] = mapped_column(Text, default="")


class Post(Base):
    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("source_id", "external_id", name="uq_posts_source_external"),
        UniqueConstraint("url", name="uq_posts_url"),
        Index("ix_posts_band0", "band0"),
        Index("ix_posts_band1", "band1"),
        Index("ix_posts_band2", "band2"),
        Index("ix_posts_band3", "band3"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(2000))
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str | None] = mapped_column(Text)  # None once the retention period has passed
    author_hash: Mapped[str | None] = mapped_column(String(64))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    simhash: Mapped[int] = mapped_column(BigInteger)  # signed 64-bit
    band0: Mapped[int] = mapped_column(Integer)
    band1: Mapped[int] = mapped_column(Integer)
    band2: Mapped[int] = mapped_column(Integer)
    band3: Mapped[int] = mapped_column(Integer)
    sentiment: Mapped[float] = mapped_column(Float)
    sentiment_model: Mapped[str] = mapped_column(String(60))
    category: Mapped[str] = mapped_column(String(50))
    categories: Mapped[list[Any]] = mapped_column(default=list)
    topics: Mapped[list[Any]] = mapped_column(default=list)
    key_terms: Mapped[list[Any] | None] = mapped_column(JSON)  # most frequent content words, for merging
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    source: Mapped[Source] = relationship()

    @property
    def event_time(self) -> datetime:
        return self.published_at or self.fetched_at

    @property
    def text_or_empty(self) -> str:
        return self.text or ""


class Obligation(Base):
    __tablename__ = "obligations"
    __table_args__ = (
        Index("ix_obligations_state_due", "state", "due_at"),
        Index("ix_obligations_state_check", "state", "next_check_at"),
        Index("ix_obligations_state_provisional", "state", "provisional"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))  # 权威信息发布, 新闻发布会, 回应, 答复, 持续发布, 承诺兑现
    rule: Mapped[str] = mapped_column(String(100))
    within: Mapped[str] = mapped_column(String(30))
    basis: Mapped[str] = mapped_column(String(20))  # first_post / detected / graded
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(20), default="pending")  # pending met met_late breached waived
    warned_level: Mapped[int] = mapped_column(Integer, default=0)  # warnings already queued (0, 1, 2…)
    escalation_stage: Mapped[int] = mapped_column(Integer, default=0)  # escalations queued after breach
    next_check_at: Mapped[datetime] = mapped_column(UTCDateTime)  # next warning or the due time
    met_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response_id: Mapped[int | None] = mapped_column(ForeignKey("responses.id"))
    waived_reason: Mapped[str | None] = mapped_column(Text)
    waived_by: Mapped[str | None] = mapped_column(String(100))
    waived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    incident: Mapped[Incident] = relationship()


class Response(Base):
    __tablename__ = "responses"
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    form: Mapped[str] = mapped_column(String(30))  # 通报, 新闻发布会, 答复, 情况说明, 媒体采访, 辟谣…
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(100))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    unit_name: Mapped[str] = mapped_column(String(200), default="")  # as printed (board replies)
    url: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    candidate: Mapped[bool] = mapped_column(Boolean, default=False)  # captured by a spider, not yet confirmed
    effect: Mapped[dict[str, Any]] = mapped_column(default=dict)  # volume/negative share 24h before/after
    unit: Mapped[Unit | None] = relationship()


class Commitment(Base):
    __tablename__ = "commitments"
    __table_args__ = (
        Index("ix_commitments_status_due", "status", "due_at"),
        Index("ix_commitments_status_provisional", "status", "provisional"),
        Index("ix_commitments_status_periodic", "status", "periodic"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    response_id: Mapped[int | None] = mapped_column(ForeignKey("responses.id"))
    content: Mapped[str] = mapped_column(Text)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    periodic: Mapped[bool] = mapped_column(Boolean, default=False)  # 持续推进: reviewed periodically
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending fulfilled overdue cancelled
    evidence_url: Mapped[str | None] = mapped_column(Text)
    evidence_note: Mapped[str | None] = mapped_column(Text)
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disclosed_url: Mapped[str | None] = mapped_column(Text)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # last reminder queued
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_by: Mapped[str | None] = mapped_column(String(100))
    unit: Mapped[Unit | None] = relationship()


class Consultation(Base):
    """会商: units that met on an incident, and what they concluded."""

    __tablename__ = "consultations"
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    participants: Mapped[list[Any]] = mapped_column(default=list)
    conclusion: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(100))


class AlertOutbox(Base):
    __tablename__ = "alert_outbox"
    __table_args__ = (Index("ix_outbox_pending", "sent_at", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(300), unique=True)
    route: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(Text)  # channel URL (no secrets: those come from the environment)
    event: Mapped[str] = mapped_column(String(40))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    mentions: Mapped[list[Any]] = mapped_column(default=list)  # mobiles to @ (route's + units on duty)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sending_since: Mapped[datetime | None] = mapped_column(UTCDateTime)  # claimed by a sender
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    digest_of: Mapped[int | None] = mapped_column(ForeignKey("alert_outbox.id"))  # merged into a digest row
    failed: Mapped[bool] = mapped_column(Boolean, default=False)  # gave up after max attempts
    last_error: Mapped[str | None] = mapped_column(Text)


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_entity", "entity", "entity_id"),)  # an incident's trail
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(20))  # admin, duty, unit, reviewer
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    unit: Mapped[Unit | None] = relationship()


class CalendarOverride(Base):
    __tablename__ = "calendar_overrides"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(Text, default="")


class CalendarNotice(Base):
    """A year whose State Council holiday notice was imported: its dates are no longer provisional."""

    __tablename__ = "calendar_notices"
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="")


class SchedulerLock(Base):
    """One row: which scheduler owns this database (one scheduler per database), with its heartbeat."""

    __tablename__ = "scheduler_lock"
    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(String(200))
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CrawlRun(Base):
    """One crawl of one source, as started by the daemon or `yuqing crawl`."""

    __tablename__ = "crawl_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    runner: Mapped[str] = mapped_column(String(20), default="local")
    node: Mapped[str] = mapped_column(String(200), default="")
    ok: Mapped[bool | None] = mapped_column(Boolean)
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)
