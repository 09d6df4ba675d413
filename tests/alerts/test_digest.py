from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from alerts.digest import PendingAlert, merge, plan_delivery
from tests.alerts.helpers import sample_alert


def pending(n: int, priority: dict[int, int] | None = None) -> list[PendingAlert]:
    out = []
    for i in range(n):
        title, body = sample_alert(i)
        out.append(
            PendingAlert(
                i, title, body, (f"1380000{i:04d}",) if i % 3 == 0 else (), (priority or {}).get(i, 0)
            )
        )
    return out


def test_merge_title_and_full_bodies() -> None:
    msgs = [sample_alert(1), sample_alert(2), sample_alert(3)]
    title, body = merge(msgs)
    assert title == "【舆情预警·汇总】共3条：某区第1小学食堂疑似食物中毒等"
    assert body.startswith("短时间内预警较多，已合并为一条发送，共3条：")
    for t, b in msgs:
        assert f"**{msgs.index((t, b)) + 1}. {t}**" in body and b in body


def test_merge_of_one_is_the_message_itself() -> None:
    assert merge([sample_alert(7)]) == sample_alert(7)


def test_merge_shortens_step_by_step_to_fit() -> None:
    msgs = [sample_alert(i) for i in range(6)]
    full = merge(msgs)[1]
    _, compact = merge(msgs, max_bytes=len(full.encode()) - 1)
    assert "距5小时权威发布时限还剩1小时12分" in compact and "**分类**" not in compact
    assert "https://yq.example.gov.cn/incidents/5" in compact
    _, titles = merge(msgs, max_bytes=len(compact.encode()) - 1)
    assert "https://" not in titles and all(t in titles for t, _ in msgs)
    _, cut = merge(msgs, max_bytes=200)
    assert len(cut.encode()) <= 200 and cut.endswith("请在系统中查看全文）")


def test_everything_single_when_it_fits() -> None:
    plan = plan_delivery(pending(5), 5)
    assert [b.ids for b in plan.batches] == [(i,) for i in range(5)] and plan.deferred == ()
    assert not any(b.is_digest for b in plan.batches)


def test_burst_goes_highest_priority_singly_rest_in_a_digest() -> None:
    plan = plan_delivery(pending(30, {25: 3, 26: 3}), 20, max_body_bytes=20000)
    singles = [b.ids[0] for b in plan.batches if not b.is_digest]
    digests = [b for b in plan.batches if b.is_digest]
    assert len(plan.batches) == 20 and len(digests) == 1
    assert singles == [*range(17), 25, 26]  # priority first, then oldest, in original order
    assert digests[0].ids == (17, 18, 19, 20, 21, 22, 23, 24, 27, 28, 29)
    assert digests[0].title.startswith("【舆情预警·汇总】共11条")
    assert digests[0].mention_mobiles == ("13800000018", "13800000021", "13800000024", "13800000027")


def test_small_body_limit_splits_digests_and_defers_the_rest() -> None:
    plan = plan_delivery(pending(40), 3, max_body_bytes=700)
    assert len(plan.batches) == 3 and all(b.is_digest for b in plan.batches)
    assert all(len(b.body.encode()) <= 700 for b in plan.batches)
    sent = [i for b in plan.batches for i in b.ids]
    assert sent + list(plan.deferred) == list(range(40))


def test_no_slot_defers_all() -> None:
    assert plan_delivery(pending(3), 0).deferred == (0, 1, 2)


@settings(max_examples=150, deadline=None)
@given(
    n=st.integers(0, 60),
    available=st.integers(-1, 25),
    max_bytes=st.one_of(st.none(), st.integers(150, 5000)),
    prios=st.lists(st.integers(0, 3), min_size=60, max_size=60),
)
def test_every_row_in_exactly_one_place(
    n: int, available: int, max_bytes: int | None, prios: list[int]
) -> None:
    alerts = [
        PendingAlert(
            f"row{i}",
            f"【舆情预警·较大】标题{i}" * (1 + i % 3),
            f"正文{i}\n> 距时限还剩{i}分钟",
            (),
            prios[i],
        )
        for i in range(n)
    ]
    plan = plan_delivery(alerts, available, max_body_bytes=max_bytes)
    placed = [i for b in plan.batches for i in b.ids] + list(plan.deferred)
    assert sorted(map(str, placed)) == sorted(str(a.id) for a in alerts)  # each exactly once
    assert len(plan.batches) <= max(available, 0)
    for batch in plan.batches:
        if batch.is_digest and max_bytes is not None:
            assert len(batch.body.encode()) <= max_bytes
    if 0 < n <= available:
        assert all(not b.is_digest for b in plan.batches)
    if n > available > 0:
        # No slot is wasted while rows wait.
        assert len(plan.batches) == available or not plan.deferred
