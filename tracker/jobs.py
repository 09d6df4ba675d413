"""Job functions the scheduler calls. APScheduler's SQLAlchemy job store pickles jobs, so these are plain
importable functions taking only picklable arguments; the process's App is set once by the daemon."""

from __future__ import annotations

import logging

from tracker.app import App

log = logging.getLogger("yuqing.jobs")
_app: App | None = None


def configure(app: App) -> None:
    global _app
    _app = app


def _current() -> App:
    if _app is None:
        raise RuntimeError("jobs.configure(app) was not called")
    return _app


def sweep_job() -> None:
    from tracker.sweep import run

    report = run(_current())
    if report.changed():
        log.info(
            "巡检：新开时限 %d，超时 %d，预警 %d，升级 %d，承诺提醒 %d，告警发送 %d（失败 %d）",
            report.opened,
            report.breached,
            report.warned,
            report.escalated,
            report.commitments,
            report.delivered,
            report.failed,
        )


def crawl_job(source_name: str) -> None:
    from tracker.crawl_runner import run_crawl

    try:
        summary = run_crawl(_current(), source_name)
        log.info("抓取 %s", summary.line())
    except Exception:
        log.exception("抓取 %s 失败", source_name)


def retention_job() -> None:
    from tracker.retention import purge_post_text

    app = _current()
    count = purge_post_text(app, app.clock.now())
    if count:
        log.info("保留期清理：已删除 %d 条帖子的原文（标题、事件与台账保留）", count)


def heartbeat_job(owner: str) -> None:
    import os
    import signal

    from tracker.scheduler_lock import heartbeat

    if not heartbeat(_current(), owner):
        # Another scheduler holds this database now: two would run every job twice. Stop this one.
        log.error("调度锁已被其他进程接管（本进程心跳曾中断），为避免重复执行任务，本进程退出")
        os.kill(os.getpid(), signal.SIGTERM)
