"""The crawlers' one entry point into the tracker (DESIGN §2): source config, incremental-crawl lookups,
storing posts and recording source health.

Posts arrive in batches (``store_posts``): analysed outside the write transaction, stored in one
transaction (one by one if a post of the batch fails). A crawl killed mid-way keeps every batch committed before the
kill, stores nothing twice (unique source+id and URL) and half-writes nothing; the posts of the batch it was
writing are not stored, so the next crawl fetches them again."""

from __future__ import annotations

import hashlib
import logging
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from tracker.app import App, load_app
from tracker.catalog import source_dict_from_settings, sync_catalog
from tracker.clock import ensure_utc
from tracker.db import is_retryable, transaction
from tracker.errors import UserError
from tracker.models import CrawlRun, Incident, Post, Response, Source

log = logging.getLogger(__name__)
_app: App | None = None


@dataclass(frozen=True)
class IngestResult:
    #: "new"; "duplicate" (stored before); "reply" (stored before, and the official reply it came back
    #: with was logged on its incident); "error" (this post could not be stored: ``error`` says why)
    status: str
    post_id: int | None = None
    incident_id: int | None = None
    error: str | None = None


def configure(app: App | None) -> None:
    """Use this application context (the daemon, tests); otherwise one is loaded from YUQING_CONFIG."""
    global _app
    _app = app
    _topic_queries.cache_clear()


def current_app() -> App:
    global _app
    if _app is None:
        _app = load_app()
    return _app


def source_config(name: str) -> dict[str, Any]:
    cfg = current_app().settings.source(name)
    if cfg is None:
        raise UserError(f"配置中没有名为 {name!r} 的来源")
    data = source_dict_from_settings(cfg)
    if cfg.kind == "replay" and not cfg.url:
        data["url"] = f"http://127.0.0.1:{current_app().settings.crawl.replay_port}/"
    return data


def author_hash(handle: str | None) -> str | None:
    """Salted hash of an author handle: lets us see bot-like repetition without keeping who wrote what."""
    if not handle:
        return None
    return hashlib.sha256(current_app().author_salt + handle.strip().encode("utf-8")).hexdigest()


def known_urls(source: str, urls: Iterable[str]) -> set[str]:
    """Which of these canonical URLs are already stored (so detail pages are not fetched again)."""
    wanted = list(dict.fromkeys(urls))
    found: set[str] = set()
    with transaction(current_app().read_sessions) as session:
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            found.update(session.scalars(select(Post.url).where(Post.url.in_(chunk))))
    return found


def known_replied_urls(source: str, urls: Iterable[str]) -> set[str]:
    """Message boards: which of these URLs are stored *with* their official reply. A message stored before
    it was answered must be fetched again until the reply appears."""
    wanted = list(dict.fromkeys(urls))
    found: set[str] = set()
    with transaction(current_app().read_sessions) as session:
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            found.update(
                session.scalars(
                    select(Post.url)
                    .where(Post.url.in_(chunk))
                    .where(
                        select(Response.id).where(Response.url == Post.url, Response.form == "答复").exists()
                    )
                )
            )
    return found


def _source_row(session: Any, name: str) -> Source:
    row = session.scalar(select(Source).where(Source.name == name))
    if row is None:  # config has it but the catalog was never synced (a fresh `yuqing crawl`)
        sync_catalog(session, current_app().settings)
        session.flush()
        row = session.scalar(select(Source).where(Source.name == name))
    if row is None:
        raise UserError(f"配置中没有名为 {name!r} 的来源")
    return row


@lru_cache(maxsize=1)
def _topic_queries() -> tuple[tuple[str, Any], ...]:
    from analysis.query import parse

    return tuple((t.name, parse(t.query)) for t in current_app().settings.topics)


def matched_topics(text: str) -> list[str]:
    from analysis.normalize import fold

    queries = _topic_queries()
    folded = fold(text) if queries else ""  # once for all topics
    return [name for name, query in queries if query.matches_folded(folded)]


def store_post(item: Mapping[str, Any]) -> IngestResult:
    """Store one post (a batch of one, see ``store_posts``)."""
    return store_posts([item])[0]


#: a PostgreSQL deadlock victim's batch is stored again this many times
BATCH_RETRIES = 2


def store_posts(
    items: Sequence[Mapping[str, Any]], timings: dict[str, float] | None = None
) -> list[IngestResult]:
    """Store a batch of normalised posts and link each to an incident; one result per item, in order.

    Posts already stored are duplicates, never stored twice. The others are analysed first (unless an
    item carries its ``analysis``), outside the write transaction. Then one transaction stores them and
    re-grades every incident they touched once; if one post fails, each is stored alone, so that one bad
    post fails alone ("error").
    A database failure (locked past the busy timeout, connection lost, disk full) raises and stores
    nothing of the batch; a PostgreSQL deadlock victim is retried. ``timings`` gets the seconds spent
    analysing and storing added to its "analyse" and "store" entries."""
    app = current_app()
    t0 = time.perf_counter()
    batch = [dict(item) for item in items]
    with transaction(app.read_sessions) as session:
        stored = _stored(session, batch)
    failed: dict[int, IngestResult] = {}  # analysis failed: not stored, the rest of the batch is
    for i, item in enumerate(batch):
        if not _is_stored(item, stored) and (error := _analyse(item)) is not None:
            failed[i] = error
    t1 = time.perf_counter()
    try:
        for attempt in range(BATCH_RETRIES + 1):
            try:
                done = iter(_store_batch(app, [it for i, it in enumerate(batch) if i not in failed]))
                return [failed[i] if i in failed else next(done) for i in range(len(batch))]
            except OperationalError as exc:
                if attempt == BATCH_RETRIES or not is_retryable(exc):
                    raise
        raise AssertionError("unreachable")
    finally:
        if timings is not None:
            timings["analyse"] = timings.get("analyse", 0.0) + t1 - t0
            timings["store"] = timings.get("store", 0.0) + time.perf_counter() - t1


def _analyse(item: dict[str, Any]) -> IngestResult | None:
    """Analyse an item that has no ``analysis`` yet; an error result if the analysis fails on its text."""
    from analysis import analyze

    if "analysis" in item:
        return None
    try:
        item["analysis"] = analyze([f"{item['title']}\n{item['text']}"])[0]
    except Exception as exc:  # a text the analysis cannot handle must not cost the rest of the batch
        log.exception("帖子分析失败：%s", item.get("url"))
        return IngestResult("error", error=f"分析失败：{_describe(exc)}")
    return None


@dataclass
class _Stored:
    urls: set[str]
    ids: set[tuple[str, str]]  # (source name, external id)


def _stored(session: Session, items: list[dict[str, Any]]) -> _Stored:
    """Which of these items are stored already, in two queries (by URL, by source + site id)."""
    urls = list({str(i["url"]) for i in items})
    ids = list({str(i["external_id"]) for i in items if i.get("external_id")})
    names = list({str(i["source"]) for i in items})
    found = _Stored(set(session.scalars(select(Post.url).where(Post.url.in_(urls)))), set())
    if ids:
        rows = session.execute(
            select(Source.name, Post.external_id)
            .join(Source, Source.id == Post.source_id)
            .where(Post.external_id.in_(ids), Source.name.in_(names))
        )
        found.ids = {(str(name), str(ext)) for name, ext in rows}
    return found


def _is_stored(item: Mapping[str, Any], stored: _Stored) -> bool:
    ext = item.get("external_id")
    return item["url"] in stored.urls or (bool(ext) and (str(item["source"]), str(ext)) in stored.ids)


def _store_batch(app: App, batch: list[dict[str, Any]]) -> list[IngestResult]:
    """All posts in one transaction; if one of them fails, each in its own (the others are kept).

    Failures are rare (a post stored by another crawl between our check and our insert, a bug), so the
    batch pays for no savepoints; the one-by-one retry is what storing was before batches."""
    try:
        return _store_together(app, batch)
    except (OperationalError, InterfaceError):
        raise  # the database itself failed: storing one by one would fail the same way, slower
    except Exception:
        if len(batch) == 1:
            return [_store_alone(app, batch[0])]
        log.warning("一批 %d 条帖子入库时出错，改为逐条入库", len(batch), exc_info=True)
        return [_store_alone(app, item) for item in batch]


def _store_alone(app: App, item: dict[str, Any]) -> IngestResult:
    try:
        return _store_together(app, [item])[0]
    except IntegrityError:  # stored by another process after our check (unique URL / site id)
        return IngestResult("duplicate")
    except (OperationalError, InterfaceError):
        raise
    except Exception as exc:  # this post only (bad data, a bug): the others are stored
        log.exception("帖子入库失败：%s", item.get("url"))
        return IngestResult("error", error=_describe(exc))


def _store_together(app: App, batch: list[dict[str, Any]]) -> list[IngestResult]:
    from tracker.incidents import refresh_suggestion

    now = app.clock.now()
    results: list[IngestResult] = []
    with transaction(app.sessions) as session:
        stored = _stored(session, batch)  # again under the write lock: another crawl may have stored some
        sources = _sources(session, batch)
        regrade: dict[int, Incident] = {}
        added: Counter[int] = Counter()
        for item in batch:
            if _is_stored(item, stored):
                results.append(_stored_again(session, app, item, now))
                continue
            result, incident, due = _store_new(session, app, sources, item, now)
            results.append(result)
            if due:
                regrade[incident.id] = incident
            added[sources[str(item["source"])].id] += 1
            stored.urls.add(str(item["url"]))  # the same post twice in one batch
            if item.get("external_id"):
                stored.ids.add((str(item["source"]), str(item["external_id"])))
        for incident in regrade.values():
            refresh_suggestion(session, incident, now)
        for source_id, count in added.items():
            # In SQL: concurrent crawls of one source must not lose each other's counts.
            session.execute(
                update(Source).where(Source.id == source_id).values(total_posts=Source.total_posts + count)
            )
    return results


def _sources(session: Session, batch: list[dict[str, Any]]) -> dict[str, Source]:
    """The batch's sources, looked up once. A name not in the configuration is left out: its posts fail."""
    found: dict[str, Source] = {}
    for name in {str(i["source"]) for i in batch}:
        with suppress(UserError):
            found[name] = _source_row(session, name)
    return found


def _store_new(
    session: Session, app: App, sources: dict[str, Source], item: dict[str, Any], now: datetime
) -> tuple[IngestResult, Incident, bool]:
    from tracker.incidents import attach_post
    from tracker.responses import add_board_reply

    source = sources.get(str(item["source"]))
    if source is None:
        raise UserError(f"配置中没有名为 {item['source']!r} 的来源")
    post = _new_post(source, item, now)
    incident, due = attach_post(session, app.settings, post, source, now)
    session.flush()  # the post's id
    if item.get("reply_text"):
        add_board_reply(session, app.settings, incident, item, now)
    return IngestResult("new", post.id, incident.id), incident, due


def _stored_again(session: Session, app: App, item: dict[str, Any], now: datetime) -> IngestResult:
    """A post stored before. A message-board message that came back with its official reply: the reply
    is logged on the message's incident (so the board's response time is measured from real data)."""
    from tracker.incidents import resolve_incident
    from tracker.responses import add_board_reply

    if not (item.get("reply_text") and item.get("reply_at")):
        return IngestResult("duplicate")
    post = session.scalar(select(Post).where(Post.url == str(item["url"])))
    incident = resolve_incident(session, post.incident_id) if post and post.incident_id else None
    if incident is None or add_board_reply(session, app.settings, incident, item, now) is None:
        return IngestResult("duplicate")
    return IngestResult("reply", post.id if post else None, incident.id)


def _describe(exc: BaseException) -> str:
    return exc.message if isinstance(exc, UserError) else f"{type(exc).__name__}: {exc}"


def _new_post(source: Source, item: Mapping[str, Any], now: datetime) -> Post:
    from analysis.simhash import bands, to_signed64

    result = item["analysis"]
    text = str(item.get("text") or "")
    title = str(item.get("title") or "")
    h = result.simhash
    b = bands(h, 4)
    published = item.get("published_at")
    fetched = item.get("fetched_at") or now
    return Post(
        source_id=source.id,
        external_id=str(item["external_id"]) if item.get("external_id") else None,
        url=str(item["url"]),
        title=title,
        text=text,
        author_hash=item.get("author_hash"),
        published_at=ensure_utc(published) if published else None,
        fetched_at=ensure_utc(fetched),
        content_hash=item.get("content_hash") or hashlib.sha256((title + "\n" + text).encode()).hexdigest(),
        simhash=to_signed64(h),
        band0=b[0],
        band1=b[1],
        band2=b[2],
        band3=b[3],
        sentiment=result.sentiment,
        sentiment_model=result.model,
        category=result.category,
        categories=[
            {"code": c.code, "score": c.score, "evidence": list(c.evidence)} for c in result.categories
        ],
        topics=matched_topics(title + "\n" + text),
        key_terms=list(result.key_terms),
        metrics=dict(item.get("metrics") or {}),
    )


def record_health(
    source: str,
    ok: bool,
    error_kind: str | None,
    message: str | None,
    counts: Mapping[str, int],
    run_id: int | None = None,
) -> None:
    """Record the outcome of one crawl; queue a source-failure alert after N consecutive failures.
    ``run_id``: the runner's CrawlRun of this crawl, which gets the crawl's own outcome and counts."""
    from tracker.health import record_crawl

    app = current_app()
    with transaction(app.sessions) as session:
        row = _source_row(session, source)
        record_crawl(session, app.settings, row, ok, error_kind, message, dict(counts), app.clock.now())
        run = session.get(CrawlRun, run_id) if run_id is not None else None
        if run is not None and run.source_id == row.id:
            run.ok, run.counts, run.error = ok, dict(counts), None if ok else message
