"""Append-only audit trail with a hash chain: each event carries the hash of the previous one, so an
edited or deleted row breaks the chain at a place `yuqing audit verify` can name."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, select, text
from sqlalchemy.orm import Session, SessionTransaction

from tracker.models import AuditEvent

GENESIS = "0" * 64


def _digest(
    prev_hash: str,
    at: datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: int | None,
    payload: dict[str, Any],
) -> str:
    body = json.dumps(
        [prev_hash, at.isoformat(), actor, action, entity, entity_id, payload],
        ensure_ascii=False,
        sort_keys=True,
        default=str,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


_PENDING = "yuqing_audit_pending"
APPEND_LOCK = 4242001  # the advisory lock id of audit appends (PostgreSQL)


def record(
    session: Session,
    actor: str,
    action: str,
    entity: str,
    entity_id: int | None,
    payload: dict[str, Any],
    now: datetime,
) -> None:
    """Append one event to the caller's transaction: chained and written when it commits, so the change
    and its audit row commit together or not at all."""
    at = now.replace(microsecond=0)
    clean = json.loads(json.dumps(payload, ensure_ascii=False, default=str))
    session.info.setdefault(_PENDING, []).append((at, actor, action, entity, entity_id, clean))


@event.listens_for(Session, "before_commit")
def _chain_pending(session: Session) -> None:
    """Chain this transaction's events onto the last one and write them, as the very last thing before
    the commit. Two transactions reading the same last hash would fork the chain, so appends are
    serialised (PostgreSQL: an advisory lock; SQLite: ``BEGIN IMMEDIATE`` already serialises writers).

    The lock is taken after everything else of the transaction is written, so it is held for a few
    milliseconds, and whoever holds it waits for no row lock: a crawl's batch holding incident rows and a
    grade change can no longer deadlock over it (they did under load), nor queue behind each other. It
    must stay the last before_commit hook (tracker.notify registers its own with ``insert=True``)."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    session.flush()  # every row lock this transaction needs, before the append lock
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SELECT pg_advisory_xact_lock({APPEND_LOCK})"))
    prev = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)) or GENESIS
    for at, actor, action, entity, entity_id, payload in pending:
        digest = _digest(prev, at, actor, action, entity, entity_id, payload)
        session.add(
            AuditEvent(
                at=at,
                actor=actor,
                action=action,
                entity=entity,
                entity_id=entity_id,
                payload=payload,
                prev_hash=prev,
                hash=digest,
            )
        )
        prev = digest


@event.listens_for(Session, "after_transaction_end")
def _drop_pending(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # rolled back (or committed: already written and popped)
        session.info.pop(_PENDING, None)


@dataclass(frozen=True)
class ChainProblem:
    event_id: int
    problem: str  # Chinese


def head(session: Session) -> tuple[int, str] | None:
    last = session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
    return (last.id, last.hash) if last else None


def write_anchor(session: Session, path: Path, now: datetime) -> bool:
    """Append the chain head to an anchor file outside the database (the sweep does it every minute).

    The chain alone cannot show that its *newest* rows were deleted; an anchor written earlier can."""
    current = head(session)
    if current is None:
        return False
    anchors = read_anchors(path)
    if anchors and anchors[-1] == current:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps({"id": current[0], "hash": current[1], "at": now.isoformat()}) + "\n")
        f.flush()
        os.fsync(f.fileno())
    return True


def read_anchors(path: Path) -> list[tuple[int, str]]:
    if not path.exists():
        return []
    out: list[tuple[int, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            data = json.loads(line)
            out.append((int(data["id"]), str(data["hash"])))
        except (ValueError, KeyError, TypeError):
            continue
    return out


def verify(session: Session, anchors: list[tuple[int, str]] | None = None) -> list[ChainProblem]:
    """Walk the chain; report edited rows (hash mismatch) and deleted rows (broken link or id gap), and,
    given anchors, rows deleted from the end of the chain."""
    problems: list[ChainProblem] = []
    for anchor_id, anchor_hash in anchors or []:
        row = session.get(AuditEvent, anchor_id)
        if row is None:
            problems.append(
                ChainProblem(anchor_id, f"第 {anchor_id} 条审计记录已不存在（锚点记录过它，疑被删除）")
            )
        elif row.hash != anchor_hash:
            problems.append(ChainProblem(anchor_id, f"第 {anchor_id} 条审计记录与锚点不符（疑被改写）"))
    prev_hash, prev_id = GENESIS, 0
    for ev in session.scalars(select(AuditEvent).order_by(AuditEvent.id)).yield_per(1000):
        if ev.id != prev_id + 1 and prev_id:
            problems.append(ChainProblem(ev.id, f"第 {prev_id + 1}–{ev.id - 1} 条审计记录被删除"))
        if ev.prev_hash != prev_hash:
            problems.append(ChainProblem(ev.id, f"第 {ev.id} 条记录的前序哈希不符（之前的记录被修改或删除）"))
        expected = _digest(ev.prev_hash, ev.at, ev.actor, ev.action, ev.entity, ev.entity_id, ev.payload)
        if ev.hash != expected:
            problems.append(
                ChainProblem(ev.id, f"第 {ev.id} 条记录（{ev.action} {ev.entity}#{ev.entity_id}）内容被修改")
            )
        prev_hash, prev_id = ev.hash, ev.id
    return problems
