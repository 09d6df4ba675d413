"""The dispatcher loop against the DingTalk mock: limits, digests, the 10-minute block, stop on failure."""

from __future__ import annotations

from alerts import PendingAlert, RateLimiter, deliver, make_channel
from alerts.channels.base import Channel
from alerts.delivery import BatchResult
from alerts.digest import Batch
from tests.alerts.helpers import FakeClock, sample_alert
from tests.alerts.mockservers import DingTalkMock, Reply


def rows(n: int, start: int = 0) -> list[PendingAlert]:
    return [PendingAlert(f"k{i}", *sample_alert(i)) for i in range(start, start + n)]


def setup(dingtalk: DingTalkMock, clock: FakeClock) -> tuple[Channel, RateLimiter, FakeClock]:
    ch = make_channel(
        "dingtalk://",
        {"token": dingtalk.token, "secret": dingtalk.secret},
        base_urls={"dingtalk": dingtalk.base_url},
        clock=clock,
    )
    return ch, RateLimiter(ch.rate), FakeClock(1000.0)  # the limiter runs on its own (monotonic) clock


def test_burst_of_30_goes_out_as_19_singles_and_one_digest(dingtalk: DingTalkMock, clock: FakeClock) -> None:
    ch, limiter, mono = setup(dingtalk, clock)
    log: list[str] = []
    report = deliver(
        ch,
        limiter,
        rows(30),
        mono,
        on_send=lambda b: log.append("send " + ",".join(map(str, b.ids))),
        on_result=lambda r: log.append(f"done {r.ok}"),
    )
    assert len(dingtalk.accepted) == 20 and len(dingtalk.requests) == 20  # never hit 130101
    assert all(r.ok for r in report.results) and report.deferred == ()
    digest = report.results[-1].batch
    assert digest.is_digest and digest.ids == tuple(f"k{i}" for i in range(19, 30))
    assert dingtalk.accepted[-1].json()["markdown"]["title"].startswith("【舆情预警·汇总】共11条")
    assert log[:2] == ["send k0", "done True"] and len(log) == 40
    # Nothing more may go out this minute; the next round defers everything.
    again = deliver(ch, limiter, rows(2, 30), mono)
    assert again.results == () and again.deferred == ("k30", "k31")
    assert again.next_free_at == 1061.0
    mono.advance(61.5)
    clock.advance(61.5)
    assert all(r.ok for r in deliver(ch, limiter, rows(2, 30), mono).results)


def test_service_block_stops_the_round_and_blocks_the_limiter(
    dingtalk: DingTalkMock, clock: FakeClock
) -> None:
    ch, limiter, mono = setup(dingtalk, clock)
    dingtalk.blocked_until = clock.now + 300  # another program overran this robot's limit
    report = deliver(ch, limiter, rows(3), mono)
    assert [r.ok for r in report.results] == [False]
    failed: BatchResult = report.results[0]
    assert failed.retry_after == 600.0 and not failed.permanent and failed.error is not None
    assert report.deferred == ("k1", "k2") and len(dingtalk.requests) == 1
    assert report.next_free_at == 1600.0
    assert limiter.available(1599.0) == 0


def test_transient_failure_is_reported_then_retried(dingtalk: DingTalkMock, clock: FakeClock) -> None:
    ch, limiter, mono = setup(dingtalk, clock)
    dingtalk.force(Reply(502, b"bad gateway"))
    first = deliver(ch, limiter, rows(2), mono)
    assert [r.ok for r in first.results] == [False] and first.deferred == ("k1",)
    assert first.results[0].error is not None and "HTTP 502" in first.results[0].error
    second = deliver(ch, limiter, rows(2), mono)
    assert [r.ok for r in second.results] == [True, True]
    assert [req.json()["markdown"]["title"] for req in dingtalk.accepted] == [
        sample_alert(0)[0],
        sample_alert(1)[0],
    ]


def test_batches_carry_mentions(dingtalk: DingTalkMock, clock: FakeClock) -> None:
    ch, limiter, mono = setup(dingtalk, clock)
    title, body = sample_alert()
    report = deliver(ch, limiter, [PendingAlert(1, title, body, ("13800000009",))], mono)
    assert report.results[0].batch == Batch((1,), title, body, ("13800000009",), False)
    assert dingtalk.accepted[0].json()["at"]["atMobiles"] == ["13800000009"]
