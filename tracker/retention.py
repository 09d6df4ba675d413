"""Retention: raw post text is personal-ish data with a retention period (`retention.post_text_days`).
After it, the text is removed; titles, incidents, obligations, the ledger and all statistics stay."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update

from tracker.app import App
from tracker.audit import record
from tracker.db import transaction
from tracker.models import Post


def purge_post_text(app: App, now: datetime) -> int:
    days = app.settings.retention.post_text_days
    if days <= 0:
        return 0  # 0 means keep forever
    cutoff = now - timedelta(days=days)
    with transaction(app.sessions) as session:
        result = session.execute(
            update(Post).where(Post.fetched_at < cutoff, Post.text.is_not(None)).values(text=None)
        )
        count = int(getattr(result, "rowcount", 0) or 0)
        if count:
            record(
                session,
                "系统",
                "retention.purge",
                "post",
                None,
                {"posts": count, "cutoff": cutoff.isoformat(), "days": days},
                now,
            )
    return count
