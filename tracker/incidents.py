"""Incidents (舆情事件): linking posts to incidents and keeping each incident's figures current.

A post joins an incident when it is a near-duplicate (SimHash within ``incidents.max_hamming``, found through
four indexed 16-bit bands, so the lookup costs a few index probes, not a scan) or when it shares the
incident's category and a watched topic and its text overlaps, within ``incidents.merge_window_hours``.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import CompoundSelect, and_, bindparam, case, func, select, union_all
from sqlalchemy.orm import Session

from analysis.normalize import normalize
from analysis.simhash import from_signed64, hamming
from tracker.audit import record
from tracker.models import Incident, IncidentUnit, Post, Source, Unit
from tracker.settings_schema import Settings

#: share of the smaller post's key terms found in the other: above it, two posts on the same topic and
#: category tell the same story (differently written reports share places, actors and symptoms)
TERM_OVERLAP_MIN = 0.25
SAMPLE_PER_INCIDENT = 5
#: an incident's suggestion is recomputed for every post while small; past this, on every 10th post or
#: when a post adds severity evidence (a surge of thousands must not re-grade thousands of times)
REGRADE_EVERY_POST_UNTIL = 30


def attach_post(
    session: Session, settings: Settings, post: Post, source: Source, now: datetime
) -> tuple[Incident, bool]:
    """Store a new (transient) post in its incident, opening one if none fits.

    Returns the incident and whether its suggested grade is due for recomputing; the caller runs
    ``refresh_suggestion`` once per incident after a batch of posts (a burst of a hundred posts on one
    incident is one re-grade, not a hundred). The post is inserted with its incident already set."""
    incident = _near_duplicate_incident(session, settings, post, now) or _topic_incident(
        session, settings, post, now
    )
    new = incident is None
    if incident is None:
        incident = _new_incident(session, settings, post, source, now)
    else:
        _lock(session, incident)
        post.incident_id = incident.id
        session.add(post)
    _remember_terms(session, incident, post, new)
    evidence_before = incident.severity_text
    _add_post_figures(incident, post)
    regrade = (
        incident.post_count <= REGRADE_EVERY_POST_UNTIL
        or incident.post_count % 10 == 0
        or incident.severity_text != evidence_before
    )
    return incident, regrade


_LOCKED = "yuqing_locked_incidents"


def _lock(session: Session, incident: Incident) -> None:
    """PostgreSQL: lock the incident row and reload it, once per transaction, so two crawls adding to one
    incident do not lose each other's counts. SQLite needs neither: every write transaction holds the
    database's write lock from its first statement, so what this session loaded is current."""
    if session.get_bind().dialect.name != "postgresql":
        return
    locked: set[int] = session.info.setdefault(_LOCKED, set())
    if incident.id not in locked:
        # FOR NO KEY UPDATE: a response, alert or grade change referring to the incident (a foreign key
        # check) need not wait for the crawl's batch; a change to the incident row itself does.
        session.refresh(incident, with_for_update={"key_share": True})
        locked.add(incident.id)


def resolve_incident(session: Session, incident_id: int) -> Incident | None:
    """The incident a post belongs to now (following merges)."""
    incident = session.get(Incident, incident_id)
    while incident is not None and incident.merged_into_id:
        incident = session.get(Incident, incident.merged_into_id)
    return incident


def _resolve(session: Session, incident_id: int) -> Incident | None:
    """An incident a new post may join: not closed."""
    incident = resolve_incident(session, incident_id)
    if incident is None or incident.status == "closed":
        return None
    return incident


#: candidates read per band: a repost storm puts thousands of identical posts in one band, and reading them
#: all for every new repost made storing slower the longer the storm went on
PER_BAND = 50


# Statements built once (bound parameters): building SQL expressions cost more than running them.
def _band_candidates() -> CompoundSelect[Any]:
    # One index scan per band, each stopping after PER_BAND rows (an OR of the four bands is a bitmap
    # scan that reads every match before its LIMIT applies).
    parts = [
        select(Post.simhash, Post.incident_id)
        .where(
            band == bindparam(f"b{i}"), Post.fetched_at >= bindparam("since"), Post.incident_id.is_not(None)
        )
        .limit(PER_BAND)
        .subquery()
        for i, band in enumerate((Post.band0, Post.band1, Post.band2, Post.band3))
    ]
    return union_all(*(select(p.c.simhash, p.c.incident_id) for p in parts))


_SAME_BAND = _band_candidates()
_OPEN_OF_CATEGORY = (
    select(Incident.id, Incident.topics)
    .where(
        Incident.status == "open",
        Incident.category == bindparam("category"),
        Incident.last_post_at >= bindparam("since"),
    )
    .order_by(Incident.last_post_at.desc())
    .limit(20)
)
_LATEST_TERMS = (
    select(Post.id, Post.incident_id, Post.key_terms)
    .where(Post.incident_id.in_(bindparam("ids", expanding=True)))
    .order_by(Post.id.desc())
    .limit(bindparam("n"))
)


def _near_duplicate_incident(
    session: Session, settings: Settings, post: Post, now: datetime
) -> Incident | None:
    since = now - timedelta(hours=settings.incidents.merge_window_hours)
    bands = {"b0": post.band0, "b1": post.band1, "b2": post.band2, "b3": post.band3}
    rows = session.execute(_SAME_BAND, {**bands, "since": since}).all()
    mine = from_signed64(post.simhash)
    best: tuple[int, int] | None = None
    for simhash, incident_id in rows:
        distance = hamming(mine, from_signed64(simhash))
        if incident_id is None or distance > settings.incidents.max_hamming:
            continue
        if best is None or distance < best[0]:
            best = (distance, incident_id)
    return _resolve(session, best[1]) if best else None


def key_terms(text: str) -> tuple[str, ...]:
    """The key terms ``analysis.analyze`` gives a post (for posts stored before it gave them)."""
    from analysis.features import lead_terms, words
    from analysis.simhash import strip_reposts

    return lead_terms(words(strip_reposts(normalize(text))))


def post_terms(post: Post) -> set[str]:
    """A post's key terms, stored with it (candidates are compared many times)."""
    if post.key_terms is None:
        post.key_terms = list(key_terms(post.title + "\n" + post.text_or_empty))
    return set(post.key_terms)


def term_overlap(a: set[str], b: set[str]) -> float:
    """Overlap coefficient: |A∩B| / min(|A|, |B|) (a short post inside a long report still counts)."""
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


def _topic_incident(session: Session, settings: Settings, post: Post, now: datetime) -> Incident | None:
    if not post.topics or post.category == "other":
        return None
    since = post.event_time - timedelta(hours=settings.incidents.merge_window_hours)
    rows = session.execute(_OPEN_OF_CATEGORY, {"category": post.category, "since": since}).all()
    candidates = [incident_id for incident_id, topics in rows if set(topics) & set(post.topics)]
    if not candidates:
        return None
    mine = post_terms(post)
    samples = _term_samples(session, candidates)
    for incident_id in candidates:
        if any(term_overlap(mine, terms) >= TERM_OVERLAP_MIN for terms in samples.get(incident_id, [])):
            return session.get(Incident, incident_id)
    return None


_SAMPLES = "yuqing_term_samples"


def _term_samples(session: Session, candidates: list[int]) -> dict[int, list[set[str]]]:
    """The key terms of the latest few posts of each candidate. Kept for the transaction and updated as
    posts join (``_remember_terms``): a batch of posts on a few stories asks the database once per story."""
    known: dict[int, list[set[str]]] = session.info.setdefault(_SAMPLES, {})
    missing = [c for c in candidates if c not in known]
    if missing:
        # The latest posts of all missing candidates in one query (not one query per candidate).
        rows = session.execute(
            _LATEST_TERMS, {"ids": missing, "n": SAMPLE_PER_INCIDENT * len(missing) * 2}
        ).all()
        for post_id, incident_id, terms in rows:
            bucket = known.setdefault(incident_id, [])
            if len(bucket) < SAMPLE_PER_INCIDENT:
                bucket.append(set(terms) if terms is not None else _stored_terms(session, post_id))
    return known


def _remember_terms(session: Session, incident: Incident, post: Post, new: bool) -> None:
    known: dict[int, list[set[str]]] | None = session.info.get(_SAMPLES)
    if known is not None and (new or incident.id in known):
        known[incident.id] = [post_terms(post), *known.get(incident.id, [])][:SAMPLE_PER_INCIDENT]


def _stored_terms(session: Session, post_id: int) -> set[str]:
    """Key terms of a post stored without them: computed once and kept."""
    stored = session.get(Post, post_id)
    return post_terms(stored) if stored is not None else set()


def _new_incident(
    session: Session, settings: Settings, post: Post, source: Source, now: datetime
) -> Incident:
    title = post.title.strip() or (post.text or "").strip()[:40] or post.url
    evidence = post.categories[0].get("evidence", []) if post.categories else []
    incident = Incident(
        title=title[:200],
        category=post.category,
        category_evidence=list(evidence),
        detected_at=now,
        first_post_at=post.event_time,
        last_post_at=post.event_time,
        region=source.region,
        source_kind=str(source.config.get("channel") or source.kind),
        topics=list(post.topics),
        needs_policy=True,
    )
    session.add(incident)
    session.flush()
    post.incident_id = incident.id
    session.add(post)
    session.flush()  # the post's id goes into the audit record
    _assign_default_units(session, settings, incident)
    record(
        session,
        "系统",
        "incident.open",
        "incident",
        incident.id,
        {
            "title": incident.title,
            "category": incident.category,
            "first_post": post.id,
            "lead_unit": incident.lead_unit_id,
        },
        now,
    )
    return incident


def _assign_default_units(session: Session, settings: Settings, incident: Incident) -> None:
    names: list[str] = []
    for topic in settings.topics:
        if topic.name in incident.topics:
            names.extend(topic.units)
    for cfg in settings.units:
        if incident.category in cfg.categories and (not cfg.region or cfg.region == incident.region):
            names.append(cfg.name)
    names = list(dict.fromkeys(names))
    if not names:
        return
    units = {u.name: u for u in session.scalars(select(Unit).where(Unit.name.in_(names)))}
    ordered = [units[n] for n in names if n in units]
    if ordered:
        incident.lead_unit_id = ordered[0].id
        for unit in ordered:
            session.add(IncidentUnit(incident_id=incident.id, unit_id=unit.id))


def _add_post_figures(incident: Incident, post: Post) -> None:
    incident.post_count += 1
    if post.sentiment < 0.5:
        incident.negative_count += 1
    t = post.event_time
    if incident.first_post_at is None or t < incident.first_post_at:
        incident.first_post_at = t
    if incident.last_post_at is None or t > incident.last_post_at:
        incident.last_post_at = t
    incident.topics = sorted(set(incident.topics) | set(post.topics))
    incident.severity_text = add_severity_sentences(
        incident.severity_text or "", post.title + "。" + post.text_or_empty
    )
    incident.heat = incident.post_count * (1.0 + incident.negative_share)


_SENTENCE = re.compile(r"[^。！？!?；;\n]+")
SEVERITY_TEXT_MAX = 4000


def add_severity_sentences(kept: str, text: str) -> str:
    """Keep the sentences that bear on severity (critical terms, casualties), once each, up to a cap."""
    terms = _severity_terms()
    if terms.search(text) is None:  # most posts: nothing to keep, and no sentence splitting
        return kept
    lines = kept.splitlines()
    seen = set(lines)
    for sentence in _SENTENCE.findall(text):
        sentence = sentence.strip()
        if sentence and sentence not in seen and terms.search(sentence):
            if sum(len(x) + 1 for x in lines) + len(sentence) > SEVERITY_TEXT_MAX:
                break
            lines.append(sentence)
            seen.add(sentence)
    return "\n".join(lines)


@lru_cache(maxsize=1)
def _severity_terms() -> re.Pattern[str]:
    from analysis.severity import CATASTROPHIC_TERMS, SERIOUS_TERMS

    return re.compile("|".join(re.escape(t) for t in (*SERIOUS_TERMS, *CATASTROPHIC_TERMS)))


_EVENT_TIME = func.coalesce(Post.published_at, Post.fetched_at)
_ACTIVITY = select(
    func.coalesce(func.sum(case((bindparam("hour_ago") < _EVENT_TIME, 1), else_=0)), 0),
    func.coalesce(
        func.sum(
            case(
                (and_(bindparam("two_hours_ago") < _EVENT_TIME, bindparam("hour_ago") >= _EVENT_TIME), 1),
                else_=0,
            )
        ),
        0,
    ),
    func.count(func.distinct(Post.source_id)),
).where(Post.incident_id == bindparam("incident"))


def refresh_suggestion(session: Session, incident: Incident, now: datetime) -> None:
    """Recompute the suggested grade (研判建议). It only drives obligations through the policy engine."""
    from analysis.severity import IncidentStats, suggest_grade

    session.flush()
    hour = timedelta(hours=1)
    last_hour, prev_hour, sources = session.execute(
        _ACTIVITY, {"incident": incident.id, "hour_ago": now - hour, "two_hours_ago": now - 2 * hour}
    ).one()
    stats = IncidentStats(
        post_count=incident.post_count,
        posts_last_hour=int(last_hour),
        posts_prev_hour=int(prev_hour),
        distinct_sources=int(sources),
        negative_share=incident.negative_share,
        category=incident.category,
        text_sample=f"{incident.title}\n{incident.severity_text}",
    )
    suggestion = suggest_grade(stats)
    if suggestion.grade != incident.suggested_grade:
        incident.needs_policy = True
    incident.suggested_grade = suggestion.grade
    incident.suggested_reasons = list(suggestion.reasons)
