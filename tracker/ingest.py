"""The crawlers' one entry point into the tracker (DESIGN §2): source config, incremental-crawl lookups,
storing posts and recording source health. Each call is its own short transaction, so a crawl killed
mid-way keeps every post stored before the kill and stores none twice (unique source+id and URL)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tracker.app import App, load_app
from tracker.catalog import source_dict_from_settings, sync_catalog
from tracker.clock import ensure_utc
from tracker.db import transaction
from tracker.errors import UserError
from tracker.models import Post, Response, Source

log = logging.getLogger(__name__)
_app: App | None = None


@dataclass(frozen=True)
class IngestResult:
    status: str  # "new" | "duplicate"
    post_id: int | None = None
    incident_id: int | None = None


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


def store_reply(item: Mapping[str, Any]) -> bool:
    """A message already stored came back with its official reply: log the reply on its incident."""
    from tracker.incidents import resolve_incident
    from tracker.responses import add_board_reply

    app = current_app()
    with transaction(app.sessions) as session:
        post = session.scalar(select(Post).where(Post.url == item["url"]))
        incident = resolve_incident(session, post.incident_id) if post and post.incident_id else None
        if incident is None:
            return False
        return add_board_reply(session, app.settings, incident, item, app.clock.now()) is not None


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
    return [name for name, query in _topic_queries() if query.matches(text)]


def store_post(item: Mapping[str, Any]) -> IngestResult:
    """Store one analysed post and link it to an incident. Duplicates are reported, never stored twice."""
    from tracker.incidents import attach_post
    from tracker.responses import add_board_reply

    app = current_app()
    now = app.clock.now()
    try:
        with transaction(app.sessions) as session:
            source = _source_row(session, str(item["source"]))
            if _is_duplicate(session, source.id, item):
                return IngestResult("duplicate")
            post = _new_post(source, item, now)
            session.add(post)
            session.flush()
            incident = attach_post(session, app.settings, post, source, now)
            source.total_posts = Source.total_posts + 1  # in SQL: concurrent crawls must not lose counts
            if item.get("reply_text"):
                add_board_reply(session, app.settings, incident, item, now)
            return IngestResult("new", post.id, incident.id)
    except IntegrityError:
        # Another process stored the same post between our check and our insert.
        return IngestResult("duplicate")


def _is_duplicate(session: Any, source_id: int, item: Mapping[str, Any]) -> bool:
    if item.get("external_id"):
        hit = session.scalar(
            select(Post.id).where(Post.source_id == source_id, Post.external_id == str(item["external_id"]))
        )
        if hit:
            return True
    return session.scalar(select(Post.id).where(Post.url == item["url"])) is not None


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
        metrics=dict(item.get("metrics") or {}),
    )


def record_health(
    source: str, ok: bool, error_kind: str | None, message: str | None, counts: Mapping[str, int]
) -> None:
    """Record the outcome of one crawl; queue a source-failure alert after N consecutive failures."""
    from tracker.health import record_crawl

    app = current_app()
    with transaction(app.sessions) as session:
        row = _source_row(session, source)
        record_crawl(session, app.settings, row, ok, error_kind, message, dict(counts), app.clock.now())
