"""Batch storage (``tracker.ingest.store_posts``): what the crawl's ingest worker calls. One transaction per
batch, the same outcome as storing the posts one by one, and one bad post failing alone."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from tests.conftest import T0
from tests.tracker.helpers import FOOD, item
from tracker import ingest
from tracker.app import App
from tracker.db import transaction
from tracker.models import Incident, Post, Response, Source


def _food_batch(source: str = "新闻") -> list[dict[str, Any]]:
    return [item(source, t, x, T0 + timedelta(minutes=10 * i)) for i, (t, x) in enumerate(FOOD)]


def _counts(app: App) -> tuple[int, int]:
    with transaction(app.sessions) as session:
        posts = session.scalar(select(func.count()).select_from(Post)) or 0
        incidents = session.scalar(select(func.count()).select_from(Incident)) or 0
    return int(posts), int(incidents)


@pytest.mark.parametrize("together", [True, False], ids=["batch", "one-by-one"])
def test_a_batch_is_stored_like_posts_one_by_one(app: App, together: bool) -> None:
    posts = _food_batch()
    results = ingest.store_posts(posts) if together else [ingest.store_post(p) for p in posts]
    assert [r.status for r in results] == ["new"] * len(FOOD)
    assert len({r.post_id for r in results}) == len(FOOD)
    assert len({r.incident_id for r in results}) == 1  # one story, one incident
    with transaction(app.sessions) as session:
        incident = session.get(Incident, results[0].incident_id)
        assert incident is not None and incident.post_count == len(FOOD)
        # A batch re-grades its incident once, from all of its posts: the same suggestion as re-grading
        # after every post.
        assert incident.suggested_grade == "II" and incident.needs_policy
        assert incident.suggested_reasons and incident.severity_text
        source = session.scalar(select(Source).where(Source.name == "新闻"))
        assert source is not None and source.total_posts == len(FOOD)
        stored = session.scalars(select(Post).order_by(Post.id)).all()
        assert all(p.key_terms for p in stored)  # from the analysis, no second segmentation
        assert [p.title for p in stored] == [t for t, _ in FOOD]


def test_duplicates_inside_a_batch_and_from_earlier_batches(app: App) -> None:
    first = item("新闻", "建设路积水严重", "市民反映建设路积水严重，希望尽快处理。", T0)
    assert ingest.store_posts([first])[0].status == "new"
    again = dict(first, external_id="another-id")  # same URL
    fresh = item("新闻", "滨江路路灯不亮", "滨江路路灯坏了十天没人修，晚上出行很不安全。", T0)
    same_id = dict(fresh, url="http://127.0.0.1/elsewhere.html")  # same source and site id
    statuses = [r.status for r in ingest.store_posts([again, fresh, same_id, fresh])]
    assert statuses == ["duplicate", "new", "duplicate", "duplicate"]
    assert _counts(app)[0] == 2


def test_items_without_analysis_are_analysed(app: App) -> None:
    raw = item("新闻", *FOOD[0], T0)
    del raw["analysis"]
    timings: dict[str, float] = {}
    (result,) = ingest.store_posts([raw], timings)
    assert result.status == "new"
    assert set(timings) == {"analyse", "store"} and all(v >= 0 for v in timings.values())
    with transaction(app.sessions) as session:
        post = session.get(Post, result.post_id)
        assert post is not None and post.category == "food_drug_safety" and post.key_terms


def test_one_bad_post_fails_alone(app: App) -> None:
    good = _food_batch()[:3]
    stray = item("没有这个来源", "标题", "正文：某路段积水严重。", T0)
    results = ingest.store_posts([good[0], stray, *good[1:]])
    assert [r.status for r in results] == ["new", "error", "new", "new"]
    assert results[1].error is not None and "没有这个来源" in results[1].error
    assert _counts(app) == (3, 1)


def test_a_reply_to_a_stored_message_is_logged_in_a_batch(app: App) -> None:
    asked = T0 - timedelta(days=3)
    message = item("信箱", "小区路灯坏了一个月", "幸福里小区路灯坏了一个月，多次反映没人管。", asked)
    assert ingest.store_posts([message])[0].status == "new"
    answered = dict(
        message,
        reply_text="您好，路灯已于11月22日修复。",
        reply_unit="市城管局",
        reply_at=T0 - timedelta(days=1),
    )
    (result,) = ingest.store_posts([answered])
    assert result.status == "reply"
    with transaction(app.sessions) as session:
        replies = session.scalars(select(Response).where(Response.form == "答复")).all()
        assert len(replies) == 1 and replies[0].published_at == T0 - timedelta(days=1)
    assert ingest.store_posts([answered])[0].status == "duplicate"  # logged once


def _locked() -> OperationalError:
    class Orig(Exception):
        sqlstate = "40P01"

    return OperationalError("INSERT …", {}, Orig("deadlock detected"))


def test_a_deadlock_victim_batch_is_stored_again(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    real = ingest._store_together
    calls = []

    def once_deadlocked(application: App, batch: list[dict[str, Any]]) -> list[ingest.IngestResult]:
        calls.append(len(batch))
        if len(calls) == 1:
            raise _locked()
        return real(application, batch)

    monkeypatch.setattr(ingest, "_store_together", once_deadlocked)
    results = ingest.store_posts(_food_batch()[:2])
    assert [r.status for r in results] == ["new", "new"] and calls == [2, 2]


def test_a_database_failure_fails_the_whole_batch(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    def disk_full(application: App, batch: list[dict[str, Any]]) -> list[ingest.IngestResult]:
        raise OperationalError("INSERT …", {}, Exception("database or disk is full"))

    monkeypatch.setattr(ingest, "_store_together", disk_full)
    with pytest.raises(OperationalError):
        ingest.store_posts(_food_batch()[:2])
    monkeypatch.undo()
    assert _counts(app) == (0, 0)


def test_a_text_the_analysis_cannot_handle_fails_alone(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    import analysis

    real = analysis.analyze

    def fussy(texts: list[str], taxonomy: Any = None) -> Any:
        if any("\ufffd" in t for t in texts):
            raise ValueError("无法处理的文本")
        return real(texts, taxonomy)

    monkeypatch.setattr(analysis, "analyze", fussy)
    good = [item("新闻", t, x, T0) for t, x in FOOD[:2]]
    bad = item("新闻", "乱码\ufffd", "正文\ufffd", T0)
    for it in (*good, bad):
        del it["analysis"]
    results = ingest.store_posts([good[0], bad, good[1]])
    assert [r.status for r in results] == ["new", "error", "new"]
    assert results[1].error is not None and "分析失败" in results[1].error
    assert _counts(app)[0] == 2
