from __future__ import annotations

import pytest

from alerts.ratelimit import (
    DINGTALK_LIMIT,
    FEISHU_LIMIT,
    UNLIMITED,
    WECOM_LIMIT,
    RateLimit,
    RateLimiter,
    RateState,
)


def fill(limiter: RateLimiter, n: int, at: float) -> None:
    for _ in range(n):
        assert limiter.try_acquire(at)


def test_twenty_per_sliding_minute() -> None:
    lim = RateLimiter(WECOM_LIMIT)
    assert lim.available(0.0) == 20
    fill(lim, 20, 0.0)
    assert lim.available(0.0) == 0 and not lim.try_acquire(0.0)
    # A refilling token bucket would allow ~19 more by 0:59; the sliding window allows none.
    assert lim.available(59.0) == 0
    assert lim.next_free_at(30.0) == pytest.approx(61.0)  # 60 s window + 1 s margin
    assert lim.available(61.01) == 20


def test_window_frees_slots_one_by_one() -> None:
    lim = RateLimiter(WECOM_LIMIT)
    for i in range(20):
        assert lim.try_acquire(float(i))  # one per second
    assert lim.available(20.0) == 0
    assert lim.next_free_at(20.0) == pytest.approx(61.0)
    assert lim.available(61.5) == 1 and lim.available(63.5) == 3


def test_feishu_has_two_windows() -> None:
    lim = RateLimiter(FEISHU_LIMIT)
    fill(lim, 5, 0.0)
    assert lim.available(0.5) == 0
    assert lim.next_free_at(0.5) == pytest.approx(2.0)  # 1 s window + 1 s margin
    t = 2.01
    while len(lim.state.sent) < 100:
        fill(lim, min(5, 100 - len(lim.state.sent)), t)
        t += 2.01
    assert t < 60  # all 100 inside one minute
    assert lim.available(t) == 0  # per-second window free, per-minute window full
    assert lim.next_free_at(t) == pytest.approx(61.0)


def test_dingtalk_block_after_too_fast() -> None:
    lim = RateLimiter(DINGTALK_LIMIT)
    lim.record(100.0)
    lim.block(100.0)  # the service's own penalty: 10 minutes
    assert lim.available(699.0) == 0
    assert lim.next_free_at(300.0) == 700.0
    assert lim.available(700.0) == 20 - 0  # the one send has aged out long before
    lim.block(800.0, 5.0)
    assert lim.available(804.0) == 0 and lim.available(805.0) > 0


def test_state_can_be_seeded_and_clock_steps_back_are_safe() -> None:
    state = RateState(sent=[50.0, 10.0, 30.0])
    lim = RateLimiter(RateLimit(((3, 60.0),)), state)
    assert lim.available(55.0) == 0
    assert lim.next_free_at(55.0) == pytest.approx(71.0)
    # A send "in the future" (the clock stepped back) still counts.
    lim2 = RateLimiter(RateLimit(((1, 10.0),)), RateState(sent=[1000.0]))
    assert lim2.available(5.0) == 0


def test_unlimited_and_invalid() -> None:
    lim = RateLimiter(UNLIMITED)
    fill(lim, 1000, 0.0)
    assert lim.available(0.0) > 1000 and lim.state.sent == []
    assert UNLIMITED.describe() == "不限速"
    assert DINGTALK_LIMIT.describe() == "每60秒最多20条；超限后服务端封禁600秒"
    assert FEISHU_LIMIT.describe() == "每60秒最多100条，每1秒最多5条"
    with pytest.raises(ValueError, match="限流设置无效"):
        RateLimit(((0, 60.0),))
