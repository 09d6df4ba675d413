"""Send one channel's due alerts within its limits: the loop the tracker's outbox dispatcher runs.

No database here. The tracker selects the due rows for a channel, calls :func:`deliver`, and records
each outcome as it arrives (``on_result``, called right after each message, so a crash loses at most
the message in flight). ``on_send`` is called just before each message, for a tracker that marks rows
as "attempting" in its own transaction first.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

from alerts.channels.base import Channel
from alerts.digest import Batch, PendingAlert, plan_delivery
from alerts.ratelimit import RateLimiter


@dataclass(frozen=True)
class BatchResult:
    """The outcome for every row in ``batch.ids``: all sent, or all failed with the same error."""

    batch: Batch
    ok: bool
    error: str | None  # masked; may be set with ok=True for a partial e-mail delivery
    retry_after: float | None  # the service said "too fast": do not retry before this many seconds
    permanent: bool  # retrying cannot help until the configuration is fixed


@dataclass(frozen=True)
class DeliveryReport:
    results: tuple[BatchResult, ...]
    # Rows not attempted this round (no free slot, or stopped after a failure); their attempt count
    # should not grow. Try again at ``next_free_at`` (limiter clock) or the next sweep.
    deferred: tuple[Hashable, ...]
    next_free_at: float


def deliver(
    channel: Channel,
    limiter: RateLimiter,
    pending: Sequence[PendingAlert],
    clock: Callable[[], float],
    *,
    on_send: Callable[[Batch], None] | None = None,
    on_result: Callable[[BatchResult], None] | None = None,
) -> DeliveryReport:
    """Plan (singles and digests for the free slots), send in order, and stop at the first failure:
    when a service is down or rejects our key, the next message would fail the same way, and each
    attempt may cost a timeout. ``clock`` is the limiter's clock (e.g. ``time.monotonic``).
    """
    plan = plan_delivery(pending, limiter.available(clock()), max_body_bytes=channel.max_body_bytes)
    results: list[BatchResult] = []
    deferred = list(plan.deferred)
    for index, batch in enumerate(plan.batches):
        if on_send is not None:
            on_send(batch)
        ok = channel.send(batch.title, batch.body, mention_mobiles=batch.mention_mobiles)
        sent_at = clock()
        # Count every attempt: the service may count a rejected request against the limit too.
        limiter.record(sent_at)
        if channel.retry_after is not None:
            limiter.block(sent_at, channel.retry_after)
        result = BatchResult(batch, ok, channel.last_error, channel.retry_after, channel.permanent)
        results.append(result)
        if on_result is not None:
            on_result(result)
        if not ok:
            deferred.extend(i for later in plan.batches[index + 1 :] for i in later.ids)
            break
    return DeliveryReport(tuple(results), tuple(deferred), limiter.next_free_at(clock()))
