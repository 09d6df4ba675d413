"""Run one crawl of one source as a subprocess (`python -m scrapy crawl <kind> -a source=<name>`): crash and
memory isolation, and a Twisted reactor cannot restart in-process. With `crawl.runner = "scrapyd"` the same
job is posted to the least busy Scrapyd node instead (tracker/scrapyd.py)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from tracker.app import App
from tracker.db import transaction
from tracker.errors import UserError
from tracker.models import CrawlRun, Source

log = logging.getLogger(__name__)
_running: dict[str, threading.Thread] = {}
_lock = threading.Lock()


@dataclass
class CrawlSummary:
    source: str
    ok: bool
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    node: str = ""

    def line(self) -> str:
        c = self.counts
        text = (
            f"{self.source}：新增 {c.get('new', 0)} 条，重复 {c.get('duplicate', 0)} 条，"
            f"失败 {c.get('failed', 0)} 条，用时 {self.seconds:.1f} 秒"
        )
        return text if self.ok else f"{text}；出错：{self.error}"


def crawl_env(app: App) -> dict[str, str]:
    s = app.settings
    env = dict(os.environ)
    env.update(
        {
            "SCRAPY_SETTINGS_MODULE": "crawlers.settings",
            "YUQING_SCRAPY_USER_AGENT": s.crawl.user_agent,
            "YUQING_SCRAPY_OBEY_ROBOTS": str(s.crawl.obey_robots).lower(),
            "YUQING_SCRAPY_MAX_RESPONSE_MB": str(s.crawl.max_response_mb),
            "YUQING_SCRAPY_HTTPCACHE_DIR": str(app.path("var/httpcache").resolve()),
        }
    )
    if s.path:
        env["YUQING_CONFIG"] = s.path
    return env


def resolve_source(app: App, name: str) -> tuple[str, str]:
    cfg = app.settings.source(name)
    if cfg is None:
        known = "、".join(s.name for s in app.settings.sources) or "（未配置来源）"
        raise UserError(f"没有名为 {name!r} 的来源；已配置：{known}")
    return cfg.name, cfg.kind


def run_crawl(app: App, name: str) -> CrawlSummary:
    """Crawl now and wait. Records a CrawlRun; a crash or timeout is recorded as a source failure."""
    if app.settings.crawl.runner == "scrapyd":
        from tracker.scrapyd import run_on_scrapyd

        return run_on_scrapyd(app, name)
    name, kind = resolve_source(app, name)
    started = app.clock.now()
    run_id = begin_run(app, name, started, "local")
    t0 = time.monotonic()
    cmd = [sys.executable, "-m", "scrapy", "crawl", kind, "-a", f"source={name}", "-a", f"run_id={run_id}"]
    log_path = app.path("var/log/crawl.log")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    error: str | None = None
    with log_path.open("ab") as log_file:
        try:
            proc = subprocess.run(
                cmd,
                env=crawl_env(app),
                cwd=project_dir(),
                stdout=log_file,
                stderr=subprocess.STDOUT,
                timeout=app.settings.crawl.timeout_s,
                check=False,
            )
            if proc.returncode != 0:
                error = f"抓取进程退出码 {proc.returncode}（详见 {log_path}）"
        except subprocess.TimeoutExpired:
            error = f"抓取超过 {app.settings.crawl.timeout_s} 秒被终止"
    return finish_run(app, name, run_id, started, time.monotonic() - t0, error)


def project_dir() -> Path:
    """The source checkout (scrapy.cfg, yuqing.example.toml); the packages are installed either way."""
    return Path(__file__).resolve().parent.parent


def begin_run(app: App, name: str, started: object, runner: str, node: str = "") -> int:
    with transaction(app.sessions) as session:
        from tracker.catalog import sync_catalog

        source = session.scalar(select(Source).where(Source.name == name))
        if source is None:
            sync_catalog(session, app.settings)
            session.flush()
            source = session.scalar(select(Source).where(Source.name == name))
        assert source is not None
        run = CrawlRun(source_id=source.id, started_at=started, runner=runner, node=node)
        session.add(run)
        session.flush()
        return run.id


def finish_run(
    app: App,
    name: str,
    run_id: int,
    started: object,
    seconds: float,
    error: str | None,
    node: str = "",
    kind: str = "crashed",
) -> CrawlSummary:
    """Close the run. The crawl process reported its own outcome and counts on it (``record_health`` with
    the run id). ``error``: what the runner saw go wrong (exit code, timeout, node failure); it is
    recorded as a source failure of ``kind`` unless the crawl already reported its failure, and so is a
    run the crawl never reported on (it crashed)."""
    from tracker.health import record_crawl

    now = app.clock.now()
    with transaction(app.sessions) as session:
        run = session.get(CrawlRun, run_id)
        source = session.scalar(select(Source).where(Source.name == name))
        assert run is not None and source is not None
        reported = run.ok is not None
        counts = dict(run.counts or {}) if reported else {}
        if error is None and not reported:
            error = "抓取进程未报告结果"
        if error is not None and not (reported and not run.ok):
            record_crawl(session, app.settings, source, False, kind, error, counts, now)
        elif error is None and not run.ok:
            error = run.error or source.last_error
        run.finished_at, run.ok, run.counts, run.error = now, error is None, counts, error
    return CrawlSummary(name, error is None, seconds, {k: int(v) for k, v in counts.items()}, error, node)


def start_crawl(app: App, name: str) -> bool:
    """Start a crawl in the background (web "crawl now"); False when one is already running."""
    resolve_source(app, name)
    with _lock:
        if name in _running and _running[name].is_alive():
            return False
        thread = threading.Thread(target=_safe_run, args=(app, name), name=f"crawl-{name}", daemon=True)
        _running[name] = thread
        thread.start()
        return True


def _safe_run(app: App, name: str) -> None:
    try:
        summary = run_crawl(app, name)
        log.info("抓取完成 %s", summary.line())
    except Exception:  # a failed crawl must never take the daemon down
        log.exception("抓取 %s 失败", name)
