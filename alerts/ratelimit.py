"""Per-channel send limits, with time passed in so tests (and restarts) are deterministic.

The services state their limits as "N messages per minute". A classic refilling token bucket of size
20 would let 20 go at 0:00 and another ~19 by 0:59, i.e. nearly 40 inside one sliding minute, which the
service may reject (DingTalk then blocks the robot for 10 minutes). So the limiter keeps the times of
recent sends and allows a send only if *every* window ("20 per 60 s", "5 per 1 s") still has room:
the number of free slots is the number of tokens. A window also gets a little slack (``margin``)
because the service starts counting when the request arrives, slightly after we recorded it.

Any float clock works (``time.monotonic()`` in one process, or epoch seconds if the caller seeds the
state from stored send times after a restart), as long as one limiter always gets the same clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RateLimit:
    """A channel's limits: ``windows`` of (max messages, per seconds), and the service's penalty."""

    windows: tuple[tuple[int, float], ...] = ()
    # DingTalk blocks the robot for 10 minutes after the 21st message in a minute.
    block_seconds: float = 0.0
    # How long to wait after the service said "too fast" without saying how long.
    default_retry_after: float = 60.0
    margin: float = 1.0

    def __post_init__(self) -> None:
        for count, per in self.windows:
            if count < 1 or per <= 0:
                raise ValueError(f"限流设置无效：每{per}秒{count}条")

    def describe(self) -> str:
        """Chinese summary for the CLI, e.g. "每60秒最多20条；超限封禁600秒"."""
        if not self.windows:
            return "不限速"
        text = "，".join(f"每{_num(per)}秒最多{count}条" for count, per in self.windows)
        if self.block_seconds:
            text += f"；超限后服务端封禁{_num(self.block_seconds)}秒"
        return text


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


UNLIMITED = RateLimit()
WECOM_LIMIT = RateLimit(((20, 60.0),))
DINGTALK_LIMIT = RateLimit(((20, 60.0),), block_seconds=600.0, default_retry_after=600.0)
FEISHU_LIMIT = RateLimit(((100, 60.0), (5, 1.0)))


@dataclass
class RateState:
    """What a limiter remembers; plain data so a caller may persist or rebuild it."""

    sent: list[float] = field(default_factory=list)
    blocked_until: float = 0.0


class RateLimiter:
    """Sliding-window limiter for one channel. Not thread-safe: one dispatcher owns it."""

    def __init__(self, limit: RateLimit, state: RateState | None = None) -> None:
        self.limit = limit
        self.state = state if state is not None else RateState()
        self.state.sent.sort()

    def _prune(self, now: float) -> None:
        if not self.limit.windows:
            self.state.sent.clear()
            return
        longest = max(per for _, per in self.limit.windows) + self.limit.margin
        # Keep entries from the future (a clock that stepped back): counting them is the safe side.
        self.state.sent = [t for t in self.state.sent if t > now - longest]

    def available(self, now: float) -> int:
        """How many messages may go out at ``now`` without breaking any window."""
        if now < self.state.blocked_until:
            return 0
        if not self.limit.windows:
            return 1_000_000
        self._prune(now)
        free = []
        for count, per in self.limit.windows:
            used = sum(1 for t in self.state.sent if t > now - per - self.limit.margin)
            free.append(max(0, count - used))
        return min(free)

    def record(self, now: float) -> None:
        """Count one request that reached the service (also a rejected one: it may count too)."""
        if self.limit.windows:
            self.state.sent.append(now)
            self.state.sent.sort()

    def try_acquire(self, now: float) -> bool:
        """Take one slot if there is one."""
        if self.available(now) < 1:
            return False
        self.record(now)
        return True

    def block(self, now: float, seconds: float | None = None) -> None:
        """The service said "too fast": send nothing for ``seconds`` (default: the service's penalty)."""
        if seconds is None:
            seconds = self.limit.block_seconds or self.limit.default_retry_after
        self.state.blocked_until = max(self.state.blocked_until, now + seconds)

    def next_free_at(self, now: float) -> float:
        """The earliest time at which one more message may go out (``now`` if one may go now)."""
        at = max(now, self.state.blocked_until)
        self._prune(now)
        for count, per in self.limit.windows:
            recent = sorted(t for t in self.state.sent if t > now - per - self.limit.margin)
            if len(recent) >= count:
                # The window frees a slot when its (len - count + 1)-th oldest entry ages out.
                at = max(at, recent[len(recent) - count] + per + self.limit.margin)
        return at
