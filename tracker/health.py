"""Source health: failure of a source is data, not silence. After `crawl.failure_alert_after`
consecutive failures one alert is queued for the failure streak."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from alerts.messages import format_source_failure
from alerts.routing import AlertEvent
from tracker.audit import record
from tracker.clock import fmt_beijing
from tracker.models import Source
from tracker.notify import queue
from tracker.settings_schema import Settings

ERROR_NAMES = {
    "layout_changed": "页面结构变化（选择器未找到内容）",
    "blocked": "被拒绝访问（403/418/429 或验证码）",
    "empty_page": "空页面",
    "network": "网络错误",
    "crashed": "抓取进程异常退出",
    "timeout": "抓取超时",
    "error": "解析或入库出错",
    "interrupted": "抓取未正常结束",
}


def record_crawl(
    session: Session,
    settings: Settings,
    row: Source,
    ok: bool,
    error_kind: str | None,
    message: str | None,
    counts: dict[str, int],
    now: datetime,
) -> None:
    row.last_crawl_at = now
    row.last_counts = counts
    if ok:
        row.last_ok_at = now
        row.consecutive_failures = 0
        return
    row.last_error_at = now
    row.last_error_kind = error_kind or "network"
    row.last_error = (message or "")[:2000]
    row.consecutive_failures += 1
    record(
        session,
        "采集",
        "source.failure",
        "source",
        row.id,
        {"kind": row.last_error_kind, "message": row.last_error, "streak": row.consecutive_failures},
        now,
    )
    if row.consecutive_failures >= settings.crawl.failure_alert_after:
        streak = row.last_ok_at.isoformat() if row.last_ok_at else "never"
        error = f"{ERROR_NAMES.get(row.last_error_kind, row.last_error_kind)}：{row.last_error}"
        title, body = format_source_failure(
            row.name,
            error,
            row.consecutive_failures,
            fmt_beijing(row.last_ok_at),
            f"{settings.web.base_url.rstrip('/')}/admin/sources",
        )
        queue(
            session,
            settings,
            f"source:{row.id}:streak:{streak}",
            AlertEvent(kind="source_failure", region=row.region or None),
            title,
            body,
            now,
        )
