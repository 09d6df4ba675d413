"""Each crawl reports its outcome on its own CrawlRun (the runner passes ``-a run_id=…``), so two crawls of
one source at once — the daemon's and a `yuqing crawl` — never report each other's counts, and a crawl
that dies before reporting is recorded as a source failure exactly once."""

from __future__ import annotations

from sqlalchemy import select

from tracker import ingest
from tracker.app import App
from tracker.crawl_runner import begin_run, finish_run
from tracker.db import transaction
from tracker.models import CrawlRun, Source


def _source(app: App) -> Source:
    with transaction(app.sessions) as session:
        source = session.scalar(select(Source).where(Source.name == "新闻"))
        assert source is not None
        return source


def test_concurrent_crawls_of_one_source_keep_their_own_counts(app: App) -> None:
    now = app.clock.now()
    first = begin_run(app, "新闻", now, "local")
    second = begin_run(app, "新闻", now, "local")
    # The second crawl finishes first, then the first one reports: the source's "last counts" are the
    # first crawl's, but the second run must still print its own.
    ingest.record_health("新闻", True, None, None, {"new": 7, "duplicate": 1}, run_id=second)
    ingest.record_health("新闻", True, None, None, {"new": 2, "duplicate": 0}, run_id=first)
    late = finish_run(app, "新闻", second, now, 3.0, None)
    early = finish_run(app, "新闻", first, now, 4.0, None)
    assert late.ok and late.counts == {"new": 7, "duplicate": 1}
    assert early.ok and early.counts == {"new": 2, "duplicate": 0}
    with transaction(app.sessions) as session:
        run = session.get(CrawlRun, second)
        assert run is not None and run.counts == {"new": 7, "duplicate": 1} and run.finished_at is not None


def test_a_crawl_that_never_reported_is_one_failure(app: App) -> None:
    now = app.clock.now()
    run_id = begin_run(app, "新闻", now, "local")
    summary = finish_run(app, "新闻", run_id, now, 1.0, None)
    assert not summary.ok and summary.error == "抓取进程未报告结果"
    source = _source(app)
    assert source.consecutive_failures == 1 and source.last_error_kind == "crashed"


def test_a_reported_failure_is_not_recorded_twice(app: App) -> None:
    now = app.clock.now()
    run_id = begin_run(app, "新闻", now, "local")
    ingest.record_health("新闻", False, "blocked", "HTTP 403", {"new": 0}, run_id=run_id)
    # the crawl process then exits with an error code: still one failure, the crawl's own kind
    summary = finish_run(app, "新闻", run_id, now, 1.0, "抓取进程退出码 1")
    assert not summary.ok and summary.error == "抓取进程退出码 1"
    source = _source(app)
    assert source.consecutive_failures == 1 and source.last_error_kind == "blocked"
    ok_run = begin_run(app, "新闻", now, "local")
    ingest.record_health("新闻", False, "layout_changed", "选择器没有选中任何内容", {}, run_id=ok_run)
    summary = finish_run(app, "新闻", ok_run, now, 1.0, None)
    assert not summary.ok and summary.error == "选择器没有选中任何内容"
    assert _source(app).consecutive_failures == 2


def test_a_report_for_another_sources_run_is_not_taken(app: App) -> None:
    now = app.clock.now()
    run_id = begin_run(app, "信箱", now, "local")
    ingest.record_health("新闻", True, None, None, {"new": 3}, run_id=run_id)
    summary = finish_run(app, "信箱", run_id, now, 1.0, None)
    assert not summary.ok and summary.counts == {}
