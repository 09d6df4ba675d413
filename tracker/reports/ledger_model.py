"""The ledger's row types (舆情回应台账), kept apart from the queries so the writers and the web page
can import them without the database layer. ``tracker.ledger`` re-exports them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from analysis.taxonomy import GRADES, category_name
from tracker.clock import fmt_beijing
from tracker.commitments import STATUS_NAMES
from tracker.durations import DurationError, parse_within
from tracker.policy import BASIS_NAMES

STATE_NAMES: dict[str, str] = {
    "pending": "待办",
    "met": "按时完成",
    "met_late": "逾期完成",
    "breached": "已超时",
    "waived": "已豁免",
}
STATE_BY_NAME: dict[str, str] = {name: code for code, name in STATE_NAMES.items()}
NO_UNIT = "未指定单位"


@dataclass(frozen=True)
class CommitmentEntry:
    id: int
    incident_id: int
    incident_title: str
    unit_name: str
    content: str
    promised_at: datetime | None  # the response's publication time (else when it was recorded)
    due_at: datetime | None
    periodic: bool
    provisional: bool
    status: str
    fulfilled_at: datetime | None
    evidence_url: str
    evidence_note: str
    disclosed_url: str

    @property
    def status_name(self) -> str:
        return STATUS_NAMES.get(self.status, self.status)

    @property
    def kept_on_time(self) -> bool | None:
        """True/False for a fulfilled commitment with a due date, None otherwise."""
        if self.status != "fulfilled" or self.fulfilled_at is None or self.due_at is None:
            return None
        return self.fulfilled_at <= self.due_at

    @property
    def due_text(self) -> str:
        if self.due_at is None:
            return "定期复查（无明确期限）" if self.periodic else ""
        return fmt_beijing(self.due_at) + ("（暂定）" if self.provisional else "")

    def summary(self) -> str:
        """One line for the ledger cell: content, due, status, evidence, disclosure."""
        parts = [f"期限 {self.due_text}" if self.due_text else "无期限", self.status_name]
        if self.status == "fulfilled":
            timing = {True: "按期", False: "逾期", None: ""}[self.kept_on_time]
            parts[-1] = f"{timing}兑现于 {fmt_beijing(self.fulfilled_at)}"
            evidence = self.evidence_url or self.evidence_note
            if evidence:
                parts.append(f"佐证：{evidence}")
        parts.append(f"已公开：{self.disclosed_url}" if self.disclosed_url else "未公开")
        return f"{self.content}（{'；'.join(parts)}）"


@dataclass(frozen=True)
class Effect:
    """Posts and negative share of the incident in the 24 hours before and after the response."""

    before_posts: int | None
    before_negative: float | None
    after_posts: int | None
    after_negative: float | None

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Effect | None:
        if not data:
            return None
        before, after = data.get("before") or {}, data.get("after") or {}
        return cls(
            before.get("posts"), before.get("negative_share"), after.get("posts"), after.get("negative_share")
        )


@dataclass(frozen=True)
class LedgerRow:
    obligation_id: int
    incident_id: int
    incident_title: str
    category: str
    grade: str  # confirmed grade code, or the suggestion while unconfirmed
    grade_confirmed: bool
    unit_id: int | None
    unit_name: str
    kind: str
    rule: str
    within: str
    basis: str
    start_at: datetime
    due_at: datetime
    provisional: bool
    met_at: datetime | None
    breached_at: datetime | None
    state: str
    waived_reason: str
    response_form: str
    response_url: str
    disposition: str
    consultations: tuple[str, ...] = ()
    commitments: tuple[CommitmentEntry, ...] = ()
    effect: Effect | None = None

    @property
    def category_name(self) -> str:
        return category_name(self.category)

    @property
    def grade_name(self) -> str:
        name = GRADES.get(self.grade, self.grade)
        return name if self.grade_confirmed else f"建议：{name}"

    @property
    def basis_name(self) -> str:
        return BASIS_NAMES.get(self.basis, self.basis)

    @property
    def within_label(self) -> str:
        try:
            return parse_within(self.within).label
        except DurationError:
            return self.within

    @property
    def state_name(self) -> str:
        name = STATE_NAMES.get(self.state, self.state)
        return f"{name}：{self.waived_reason}" if self.state == "waived" and self.waived_reason else name

    @property
    def response_time(self) -> timedelta | None:
        """Start → met; a response published before the clock started counts as zero."""
        if self.met_at is None:
            return None
        return max(self.met_at - self.start_at, timedelta(0))
