"""Mirror the configured sources, units and topics into the database (config is the source of truth).

Rows are never deleted: a source removed from config is disabled, so its posts and health history stay.
"""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.models import Source, Topic, Unit
from tracker.settings_schema import Settings
from tracker.validation import interval_seconds


def sync_catalog(session: Session, settings: Settings) -> None:
    _sync_units(session, settings)
    _sync_sources(session, settings)
    _sync_topics(session, settings)


def _sync_sources(session: Session, settings: Settings) -> None:
    existing = {s.name: s for s in session.scalars(select(Source))}
    for cfg in settings.sources:
        row = existing.pop(cfg.name, None) or Source(name=cfg.name)
        row.kind = cfg.kind
        row.url = cfg.url or (cfg.urls[0] if cfg.urls else "")
        row.config = source_dict_from_settings(cfg)
        row.interval_s = interval_seconds(cfg.interval)
        row.region = cfg.region
        row.enabled = cfg.enabled
        session.add(row)
    for gone in existing.values():
        gone.enabled = False


def source_dict_from_settings(cfg: object) -> dict[str, object]:
    """The flat dict a spider reads: common keys plus the kind-specific ones."""
    data = asdict(cfg)  # type: ignore[call-overload]
    options = data.pop("options", {})
    data.update(options)
    return data


def _sync_units(session: Session, settings: Settings) -> None:
    existing = {u.name: u for u in session.scalars(select(Unit))}
    for cfg in settings.units:
        row = existing.get(cfg.name) or Unit(name=cfg.name)
        row.region = cfg.region
        row.duty_mobiles = list(cfg.duty_mobiles)
        session.add(row)
        existing[cfg.name] = row
    session.flush()
    for cfg in settings.units:
        existing[cfg.name].parent_id = existing[cfg.parent].id if cfg.parent else None


def _sync_topics(session: Session, settings: Settings) -> None:
    existing = {t.name: t for t in session.scalars(select(Topic))}
    for cfg in settings.topics:
        row = existing.get(cfg.name) or Topic(name=cfg.name)
        row.query = cfg.query
        row.region = cfg.region
        row.unit_names = list(cfg.units)
        session.add(row)
