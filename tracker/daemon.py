"""`yuqing run`: the scheduler (crawls per source interval, the sweep every minute, a heartbeat), the
bundled replay site when a replay source is enabled, and the web UI."""

from __future__ import annotations

import logging
import signal
import threading
from datetime import datetime, timedelta
from types import FrameType
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from tracker import jobs
from tracker.app import App
from tracker.catalog import sync_catalog
from tracker.clock import parse_iso
from tracker.db import transaction
from tracker.errors import UserError
from tracker.scheduler_lock import acquire, owner_id, release
from tracker.validation import interval_seconds

log = logging.getLogger("yuqing")
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 120}


def start_replay_site(app: App) -> object | None:
    """Serve the bundled replay site if an enabled source uses it. Its story start is kept in var/ so a
    restart continues the same story instead of rewinding it."""
    if not any(s.kind == "replay" and s.enabled for s in app.settings.sources):
        return None
    from tracker.replay.server import ReplayServer

    marker = app.path("var/replay.started")
    started: datetime | None = None
    if marker.exists():
        try:
            started = parse_iso(marker.read_text(encoding="ascii"))
        except ValueError:
            started = None
    if started is None or app.clock.now() - started > timedelta(days=2):
        started = app.clock.now()
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(started.isoformat(), encoding="ascii")
    try:
        server = ReplayServer(app.settings.crawl.replay_port, app.clock, started).start()
    except OSError as exc:
        log.warning(
            "回放站点无法启动（端口 %s：%s），回放来源将抓取失败", app.settings.crawl.replay_port, exc
        )
        return None
    log.info("回放站点已启动：%s（内置演示数据，无需联网）", server.url)
    return server


def build_scheduler(app: App, owner: str) -> BackgroundScheduler:
    tz = ZoneInfo("Asia/Shanghai")
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=app.engine, tablename="apscheduler_jobs")},
        # Crawls wait for their subprocess for minutes: on their own pool, so they can never starve the
        # heartbeat (a stale heartbeat would let a second scheduler take over) or the sweep.
        executors={"default": ThreadPoolExecutor(4), "crawl": ThreadPoolExecutor(16)},
        job_defaults=JOB_DEFAULTS,
        timezone=tz,
    )
    now = app.clock.now().astimezone(tz)
    scheduler.add_job(
        "tracker.jobs:heartbeat_job",
        "interval",
        seconds=30,
        args=[owner],
        id="heartbeat",
        replace_existing=True,
        next_run_time=now,
    )
    scheduler.add_job(
        "tracker.jobs:sweep_job",
        "interval",
        seconds=60,
        id="sweep",
        replace_existing=True,
        next_run_time=now + timedelta(seconds=20),
    )
    scheduler.add_job(
        "tracker.jobs:retention_job", "cron", hour=3, minute=30, id="retention", replace_existing=True
    )
    wanted = {"heartbeat", "sweep", "retention"}
    for i, source in enumerate(app.settings.sources):
        if not source.enabled:
            continue
        job_id = f"crawl:{source.name}"
        wanted.add(job_id)
        scheduler.add_job(
            "tracker.jobs:crawl_job",
            "interval",
            seconds=interval_seconds(source.interval),
            args=[source.name],
            id=job_id,
            executor="crawl",
            replace_existing=True,
            next_run_time=now + timedelta(seconds=2 + 3 * i),
        )
    scheduler._yuqing_wanted = wanted
    return scheduler


def _drop_stale_jobs(scheduler: BackgroundScheduler) -> None:
    """Jobs of sources removed from config would otherwise live on in the job store."""
    wanted = scheduler._yuqing_wanted
    for job in scheduler.get_jobs():
        if job.id not in wanted:
            job.remove()


def run_daemon(app: App, web: bool = True) -> int:
    from tracker.migrate import upgrade

    upgrade(app.engine)
    with transaction(app.sessions) as session:
        sync_catalog(session, app.settings)
    # Bind the web port first: a busy port is a clear error before anything else has started.
    server = _bind_web(app) if web else None
    owner = owner_id()
    try:
        acquire(app, owner)
    except BaseException:
        if server is not None:
            server.close()
        raise
    jobs.configure(app)
    from tracker import ingest

    ingest.configure(app)
    replay = start_replay_site(app)
    scheduler = build_scheduler(app, owner)
    scheduler.start()
    _drop_stale_jobs(scheduler)
    _log_startup(app)
    stop = threading.Event()

    def _on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("收到信号 %s，正在停止…", signum)
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    try:
        if server is not None:
            threading.Thread(target=server.run, name="web", daemon=True).start()
            log.info("网页界面：%s", app.settings.web.base_url)
        stop.wait()
    finally:
        if server is not None:
            server.close()
        scheduler.shutdown(wait=False)
        if replay is not None:
            replay.stop()  # type: ignore[attr-defined]
        release(app, owner)
    return 0


def _bind_web(app: App) -> Any:
    from waitress.server import create_server

    from tracker.web import create_app

    host, port = app.settings.web.host, app.settings.web.port
    try:
        return create_server(create_app(app), host=host, port=port, threads=8)
    except OSError as exc:
        raise UserError(
            f"网页界面无法监听 {host}:{port}（{exc.strerror or exc}）：端口可能已被占用，"
            "请停止占用该端口的程序，或修改 web.port（也可用环境变量 YUQING_WEB_PORT）"
        ) from None


def _log_startup(app: App) -> None:
    s = app.settings
    log.info("配置文件：%s", s.path or "（未找到 yuqing.toml，使用默认配置）")
    log.info("数据库：%s", app.engine.url.render_as_string(hide_password=True))
    enabled = [src.name for src in s.sources if src.enabled]
    log.info(
        "来源 %d 个：%s", len(enabled), "、".join(enabled) or "无（请在 yuqing.toml 中配置 [[sources]]）"
    )
    if not s.alerts.routes:
        log.warning("alerts：未配置告警路由，告警将输出到日志（console://）")
