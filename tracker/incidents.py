"""Incidents (舆情事件): linking posts to incidents and keeping each incident's figures current.

A post joins an incident when it is a near-duplicate (SimHash within ``incidents.max_hamming``, found through
four indexed 16-bit bands, so the lookup costs a few index probes, not a scan) or when it shares the
incident's category and a watched topic and its text overlaps, within ``incidents.merge_window_hours``.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, load_only

from analysis.normalize import normalize
from analysis.simhash import from_signed64, hamming
from tracker.audit import record
from tracker.models import Incident, IncidentUnit, Post, Source, Unit
from tracker.settings_schema import Settings

#: share of the smaller post's key terms found in the other: above it, two posts on the same topic and
#: category tell the same story (differently written reports share places, actors and symptoms)
TERM_OVERLAP_MIN = 0.25
KEY_TERMS = 25
KEY_TEXT = 500
SAMPLE_PER_INCIDENT = 5
#: an incident's suggestion is recomputed for every post while small; past this, on every 10th post or
#: when a post adds severity evidence (a surge of thousands must not re-grade thousands of times)
REGRADE_EVERY_POST_UNTIL = 30


def attach_post(session: Session, settings: Settings, post: Post, source: Source, now: datetime) -> Incident:
    incident = _near_duplicate_incident(session, settings, post, now) or _topic_incident(
        session, settings, post, now
    )
    if incident is None:
        incident = _new_incident(session, settings, post, source, now)
    else:
        # Lock the row (PostgreSQL): two crawls adding to one incident must not lose each other's counts.
        session.refresh(incident, with_for_update=True)
    post.incident_id = incident.id
    evidence_before = incident.severity_text
    _add_post_figures(incident, post)
    if (
        incident.post_count <= REGRADE_EVERY_POST_UNTIL
        or incident.post_count % 10 == 0
        or incident.severity_text != evidence_before
    ):
        refresh_suggestion(session, incident, now)
    return incident


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


def _near_duplicate_incident(
    session: Session, settings: Settings, post: Post, now: datetime
) -> Incident | None:
    since = now - timedelta(hours=settings.incidents.merge_window_hours)
    rows = session.execute(
        select(Post.simhash, Post.incident_id)
        .where(
            or_(
                Post.band0 == post.band0,
                Post.band1 == post.band1,
                Post.band2 == post.band2,
                Post.band3 == post.band3,
            ),
            Post.fetched_at >= since,
            Post.incident_id.is_not(None),
            Post.id != post.id,
        )
        .limit(200)
    ).all()
    mine = from_signed64(post.simhash)
    best: tuple[int, int] | None = None
    for simhash, incident_id in rows:
        distance = hamming(mine, from_signed64(simhash))
        if incident_id is None:
            continue
        if distance <= settings.incidents.max_hamming and (best is None or distance < best[0]):
            best = (distance, incident_id)
    return _resolve(session, best[1]) if best else None


def key_terms(text: str) -> set[str]:
    """The most frequent content words (two characters or more) of a post: places, actors, what happened."""
    from collections import Counter

    from analysis.features import words

    # The lead of a post names the place, the actors and what happened; the rest adds cost, not identity.
    counts = Counter(
        w for w in words(normalize(text)[:KEY_TEXT]) if len(w) >= 2 and any(c.isalnum() for c in w)
    )
    return {w for w, _ in counts.most_common(KEY_TERMS)}


def post_terms(post: Post) -> set[str]:
    """A post's key terms, segmented once and stored with it (candidates are compared many times)."""
    if post.key_terms is None:
        post.key_terms = sorted(key_terms(post.title + "\n" + post.text_or_empty))
    return set(post.key_terms)


def term_overlap(a: set[str], b: set[str]) -> float:
    """Overlap coefficient: |A∩B| / min(|A|, |B|) (a short post inside a long report still counts)."""
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


def _topic_incident(session: Session, settings: Settings, post: Post, now: datetime) -> Incident | None:
    if not post.topics or post.category == "other":
        return None
    since = post.event_time - timedelta(hours=settings.incidents.merge_window_hours)
    rows = session.execute(
        select(Incident.id, Incident.topics)
        .where(Incident.status == "open", Incident.category == post.category, Incident.last_post_at >= since)
        .order_by(Incident.last_post_at.desc())
        .limit(20)
    ).all()
    candidates = [incident_id for incident_id, topics in rows if set(topics) & set(post.topics)]
    if not candidates:
        return None
    mine = post_terms(post)
    # The latest few posts of every candidate in one query (not one query per candidate).
    recent = session.scalars(
        select(Post)
        .options(load_only(Post.id, Post.incident_id, Post.key_terms, Post.title))  # text only if needed
        .where(Post.incident_id.in_(candidates), Post.id != post.id)
        .order_by(Post.id.desc())
        .limit(SAMPLE_PER_INCIDENT * len(candidates) * 2)
    ).all()
    samples: dict[int, list[Post]] = {}
    for p in recent:
        bucket = samples.setdefault(p.incident_id or 0, [])
        if len(bucket) < SAMPLE_PER_INCIDENT:
            bucket.append(p)
    for incident_id in candidates:
        if any(term_overlap(mine, post_terms(p)) >= TERM_OVERLAP_MIN for p in samples.get(incident_id, [])):
            return session.get(Incident, incident_id)
    return None


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
    from analysis.severity import CATASTROPHIC_TERMS, SERIOUS_TERMS

    terms = (*SERIOUS_TERMS, *CATASTROPHIC_TERMS)
    lines = kept.splitlines()
    seen = set(lines)
    for sentence in _SENTENCE.findall(text):
        sentence = sentence.strip()
        if sentence and sentence not in seen and any(t in sentence for t in terms):
            if sum(len(x) + 1 for x in lines) + len(sentence) > SEVERITY_TEXT_MAX:
                break
            lines.append(sentence)
            seen.add(sentence)
    return "\n".join(lines)


def refresh_suggestion(session: Session, incident: Incident, now: datetime) -> None:
    """Recompute the suggested grade (研判建议). It only drives obligations through the policy engine."""
    from analysis.severity import IncidentStats, suggest_grade

    session.flush()
    hour = timedelta(hours=1)
    event_time = func.coalesce(Post.published_at, Post.fetched_at)
    in_incident = Post.incident_id == incident.id
    last_hour = session.scalar(select(func.count()).where(in_incident, event_time > now - hour)) or 0
    prev_hour = (
        session.scalar(
            select(func.count()).where(in_incident, event_time > now - 2 * hour, event_time <= now - hour)
        )
        or 0
    )
    sources = session.scalar(select(func.count(func.distinct(Post.source_id))).where(in_incident)) or 0
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
