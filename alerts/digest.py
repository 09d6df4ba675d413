"""Digests: when a burst is bigger than a channel's limit, merge instead of dropping.

Pure functions, no I/O. The tracker's outbox dispatcher gives :func:`plan_delivery` the due rows for
one channel and the number of free slots; every row id ends up in exactly one batch or in ``deferred``
(it waits for the next free slot), so nothing is lost and nothing is sent twice.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from alerts.messages import truncate_utf8

DIGEST_PREFIX = "【舆情预警·汇总】"
_BRACKET_HEAD = re.compile(r"^【[^】]*】")


@dataclass(frozen=True)
class PendingAlert:
    """One outbox row as the dispatcher sees it. Higher ``priority`` (e.g. the grade level) goes out
    singly first when not everything can."""

    id: Hashable
    title: str
    body: str
    mention_mobiles: tuple[str, ...] = ()
    priority: int = 0


@dataclass(frozen=True)
class Batch:
    """One message to send; ``ids`` are the rows it delivers (several when ``is_digest``)."""

    ids: tuple[Hashable, ...]
    title: str
    body: str
    mention_mobiles: tuple[str, ...]
    is_digest: bool


@dataclass(frozen=True)
class DeliveryPlan:
    batches: tuple[Batch, ...]
    deferred: tuple[Hashable, ...]  # not sent this round: no free slot; try again later


def _fits(text: str, max_bytes: int | None) -> bool:
    return max_bytes is None or len(text.encode("utf-8")) <= max_bytes


def _compact(body: str) -> list[str]:
    """The lines of an alert that matter in a digest: the time left and the link."""
    return [ln for ln in body.splitlines() if ln.startswith("> ") or ln.startswith("[")]


def _header(count: int) -> str:
    return f"短时间内预警较多，已合并为一条发送，共{count}条："


def _chunk(index: int, title: str, body: str, level: int) -> str:
    """One item of a digest at a level of detail: 0 full body, 1 key lines, 2 title only."""
    lines = ["", f"**{index}. {title}**"]
    if level == 0:
        lines.extend(body.splitlines())
    elif level == 1:
        lines.extend(_compact(body))
    return "\n".join(lines)


def _render(messages: Sequence[tuple[str, str]], level: int) -> str:
    chunks = (_chunk(i, t, b, level) for i, (t, b) in enumerate(messages, 1))
    return "\n".join([_header(len(messages)), *chunks])


def digest_title(messages: Sequence[tuple[str, str]]) -> str:
    first = _BRACKET_HEAD.sub("", messages[0][0]).strip() if messages else ""
    if len(first) > 30:
        first = first[:30] + "…"
    return (
        f"{DIGEST_PREFIX}共{len(messages)}条：{first}等" if first else f"{DIGEST_PREFIX}共{len(messages)}条"
    )


def try_merge(messages: Sequence[tuple[str, str]], max_bytes: int | None) -> tuple[str, str] | None:
    """The fullest digest body that fits ``max_bytes`` (full text, then key lines, then titles), or
    None when even the list of titles is too long."""
    for level in (0, 1, 2):
        body = _render(messages, level)
        if _fits(body, max_bytes):
            return digest_title(messages), body
    return None


def merge(messages: Sequence[tuple[str, str]], max_bytes: int | None = None) -> tuple[str, str]:
    """One Chinese digest ("【舆情预警·汇总】共N条：…等") for several (title, body) messages.

    With ``max_bytes`` the body is shortened step by step; only if the titles alone do not fit is the
    list cut (with a note). :func:`plan_delivery` splits bursts so that this never happens.
    """
    if len(messages) == 1:
        return messages[0]
    merged = try_merge(messages, max_bytes)
    if merged is not None:
        return merged
    return digest_title(messages), truncate_utf8(_render(messages, 2), max_bytes)


def _union(alerts: Sequence[PendingAlert]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for alert in alerts:
        seen.update(dict.fromkeys(alert.mention_mobiles))
    return tuple(seen)


def _single(alert: PendingAlert) -> Batch:
    return Batch((alert.id,), alert.title, alert.body, alert.mention_mobiles, False)


class _Group:
    """A digest being filled; byte sizes per detail level are kept incrementally (bursts can be
    hundreds of rows, and re-rendering the whole group per added row would be quadratic)."""

    def __init__(self) -> None:
        self.alerts: list[PendingAlert] = []
        self.sizes = [0, 0, 0]

    def _grown(self, alert: PendingAlert) -> list[int]:
        index = len(self.alerts) + 1
        return [
            s + 1 + len(_chunk(index, alert.title, alert.body, lvl).encode())
            for lvl, s in enumerate(self.sizes)
        ]

    def accepts(self, alert: PendingAlert, max_bytes: int | None) -> bool:
        if max_bytes is None:
            return True
        header = len(_header(len(self.alerts) + 1).encode())
        return any(header + size <= max_bytes for size in self._grown(alert))

    def add(self, alert: PendingAlert) -> None:
        self.sizes = self._grown(alert)
        self.alerts.append(alert)


def pack_digests(alerts: Sequence[PendingAlert], max_bytes: int | None) -> list[Batch]:
    """Split ``alerts`` (in order) into as few digests as fit ``max_bytes`` each, greedily."""
    groups: list[_Group] = []
    for alert in alerts:
        if not groups or not groups[-1].accepts(alert, max_bytes):
            groups.append(_Group())
        groups[-1].add(alert)
    batches = []
    for group in groups:
        if len(group.alerts) == 1:
            batches.append(_single(group.alerts[0]))
            continue
        title, body = merge([(a.title, a.body) for a in group.alerts], max_bytes)
        batches.append(Batch(tuple(a.id for a in group.alerts), title, body, _union(group.alerts), True))
    return batches


def plan_delivery(
    pending: Sequence[PendingAlert], available: int, *, max_body_bytes: int | None = None
) -> DeliveryPlan:
    """Decide what goes out now through one channel with ``available`` free slots.

    If everything fits, every row goes singly. Otherwise the highest-priority rows (ties: oldest, i.e.
    first in ``pending``) go singly and the rest are merged into as few digests as the body limit
    allows, using exactly the free slots; digests that still do not fit wait in ``deferred``.
    """
    if len(pending) != len({p.id for p in pending}):
        raise ValueError("待发送预警的 id 有重复")
    if available <= 0 or not pending:
        return DeliveryPlan((), tuple(p.id for p in pending))
    if len(pending) <= available:
        return DeliveryPlan(tuple(_single(p) for p in pending), ())
    ranked = sorted(range(len(pending)), key=lambda i: (-pending[i].priority, i))
    for n_single in range(available - 1, -1, -1):
        chosen = set(ranked[:n_single])
        singles = [_single(pending[i]) for i in sorted(chosen)]
        digests = pack_digests([p for i, p in enumerate(pending) if i not in chosen], max_body_bytes)
        if n_single + len(digests) <= available or n_single == 0:
            break
    room = available - len(singles)
    sent, waiting = digests[:room], digests[room:]
    deferred = tuple(i for batch in waiting for i in batch.ids)
    return DeliveryPlan(tuple(singles + sent), deferred)
