"""Benchmark: crawl a local site of 2,000 detail pages through the real pipeline into a temporary SQLite
database and print pages/s and where the time goes.

Usage: .venv/bin/python bench/crawl.py (or -m bench.crawl) [--pages 2000] [--per-list 20] [--concurrency 32] [--profile]

The site (generated here, served on 127.0.0.1 from memory) is a list with pagination and detail pages of
Chinese posts of varying length (60–2,000 characters; about one in ten a repost of an earlier one, as on
real forums). The crawl is the product's own: ``python -m scrapy crawl`` of a ``listing`` source in a
subprocess, every pipeline stage, health report and SQLite storage included. Politeness is off for the
local host only through this run's settings (robots.txt, AutoThrottle and the HTTP cache off, higher
concurrency). Timing wrappers defined in this file subclass the spider and the pipelines (the product code
is not instrumented) and add their seconds to the crawl's stats; the crawl dumps them at close.
``--profile`` runs the crawl under cProfile and prints the hottest functions and packages.
Target (issue 3): at least 200 pages/s end to end on this 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

from crawlers.pipelines import DedupePipeline, IngestPipeline, NormalizePipeline
from crawlers.spiders.listing import ListingSpider

ROOT = Path(__file__).resolve().parents[1]
TARGET_PAGES_PER_S = 200.0
SOURCE = "基准站点"
#: stages in the crawl process (Scrapy's reactor thread), timed by the wrappers below
STAGES = {
    "parse_list": "解析列表页",
    "parse_detail": "解析详情页",
    "normalize": "规范化",
    "dedupe": "去重",
    "handover": "交给入库进程",
}
#: stages in the ingest worker process, from the crawl's own stats (crawlers/pipelines.py)
WORKER_STAGES = {"analyse": "分析（情感、分类、SimHash、关键词）", "store": "存储与事件归并"}


# ---- timing hooks, loaded by the crawl subprocess as bench.crawl ----------------------------------------
def _add(crawler: Crawler, key: str, seconds: float) -> None:
    assert crawler.stats is not None
    name = f"bench/{key}"
    crawler.stats.set_value(name, crawler.stats.get_value(name, 0.0) + seconds)


def _timed(base: type, key: str) -> type:
    class Timed(base):
        def process_item(self, item: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return super().process_item(item)
            finally:
                _add(self.crawler, key, time.perf_counter() - t0)

    Timed.__name__ = Timed.__qualname__ = f"Timed{base.__name__.removesuffix('Pipeline')}"
    return Timed


TimedNormalize = _timed(NormalizePipeline, "normalize")
TimedDedupe = _timed(DedupePipeline, "dedupe")


class TimedIngest(IngestPipeline):
    """The handover's own time on the reactor (not the time an item waits for room in the worker)."""

    def hand_over(self, item: Any) -> None:
        t0 = time.perf_counter()
        super().hand_over(item)
        _add(self.crawler, "handover", time.perf_counter() - t0)


class TimedListingSpider(ListingSpider):
    """The listing spider with its callbacks timed (a generator's work happens as it is consumed)."""

    name = "bench_listing"

    def parse_entry(self, response: Any, page_no: int = 1) -> list[Any]:
        return self._timed("parse_list", super().parse_entry(response, page_no))

    def parse_detail(self, response: Any) -> Iterator[Any]:
        return iter(self._timed("parse_detail", super().parse_detail(response)))

    def _timed(self, key: str, results: Any) -> list[Any]:
        t0 = time.perf_counter()
        out = list(results)
        _add(self.crawler, key, time.perf_counter() - t0)
        return out


class DumpStats:
    """Extension: write the crawl's stats to BENCH_STATS_FILE when the spider closes."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DumpStats:
        return cls(crawler)

    def closed(self, spider: Any, reason: str) -> None:
        assert self.crawler.stats is not None
        stats = {k: v for k, v in self.crawler.stats.get_stats().items() if isinstance(v, int | float)}
        Path(self.crawler.settings["BENCH_STATS_FILE"]).write_text(json.dumps(stats), encoding="utf-8")


# ---- the run -------------------------------------------------------------------------------------------
CONFIG = """
[database]
url = "sqlite:///{db}"

{site_source}
[[topics]]
name = "校园食品安全"
query = "(食堂 OR 学校) AND (腹泻 OR 呕吐 OR 异味)"

[[topics]]
name = "欠薪维权"
query = "拖欠 AND 工资"

[[units]]
name = "宣传部"
"""


def crawl_command(args: argparse.Namespace, tmp: Path) -> list[str]:
    pipelines = {
        f"bench.crawl.Timed{n}": 100 * (i + 1) for i, n in enumerate(("Normalize", "Dedupe", "Ingest"))
    }
    extensions = {"crawlers.health.HealthReporter": 500, "bench.crawl.DumpStats": 600}
    settings = {
        "SPIDER_MODULES": "crawlers.spiders,bench.crawl",
        "CONCURRENT_REQUESTS": str(args.concurrency),
        "CONCURRENT_REQUESTS_PER_DOMAIN": str(args.concurrency),
        "DOWNLOAD_DELAY": "0",
        "ITEM_PIPELINES": json.dumps(pipelines),
        "EXTENSIONS": json.dumps(extensions),
        "BENCH_STATS_FILE": str(tmp / "stats.json"),
        "LOG_FILE": str(tmp / "crawl.log"),
    }
    profile = ["-m", "cProfile", "-o", str(tmp / "crawl.prof")] if args.profile else []
    cmd = [sys.executable, *profile, "-m", "scrapy", "crawl", "bench_listing", "-a", f"source={SOURCE}"]
    return cmd + [a for k, v in settings.items() for a in ("-s", f"{k}={v}")]


def run(args: argparse.Namespace, tmp: Path, site: Any) -> tuple[float, dict[str, float], int]:
    from sqlalchemy import func, select

    from bench.crawl_site import LISTING_SOURCE, crawl_env
    from tracker.app import load_app
    from tracker.catalog import sync_catalog
    from tracker.db import transaction
    from tracker.migrate import upgrade
    from tracker.models import Incident, Post

    lists = (args.pages + args.per_list - 1) // args.per_list
    config = tmp / "yuqing.toml"
    db = tmp / "bench.db"
    source = LISTING_SOURCE.format(name=SOURCE, url=site.url, lists=lists)
    config.write_text(CONFIG.format(db=db, site_source=source), encoding="utf-8")
    app = load_app(str(config))
    upgrade(app.engine)
    with transaction(app.sessions) as session:
        sync_catalog(session, app.settings)
    env = crawl_env(config)
    t0 = time.monotonic()
    done = subprocess.run(crawl_command(args, tmp), cwd=ROOT, env=env, check=False)
    wall = time.monotonic() - t0
    if done.returncode != 0 or not (tmp / "stats.json").exists():
        sys.exit(f"抓取进程失败（退出码 {done.returncode}），日志：{tmp / 'crawl.log'}")
    stats = json.loads((tmp / "stats.json").read_text(encoding="utf-8"))
    with transaction(app.sessions) as session:
        stored = int(session.scalar(select(func.count()).select_from(Post)) or 0)
        stats["incidents"] = int(session.scalar(select(func.count()).select_from(Incident)) or 0)
    app.engine.dispose()
    return wall, stats, stored


def report(args: argparse.Namespace, wall: float, stats: dict[str, float], stored: int) -> None:
    crawl_s = float(stats.get("elapsed_time_seconds", wall))
    print(
        f"站点：{args.pages} 个详情页，每页列表 {args.per_list} 条；并发 {args.concurrency}；SQLite；robots/限速/缓存关闭"
    )
    print(
        f"入库帖子：{stored} 条（事件 {int(stats.get('incidents', 0))} 个）；抓取页面 {int(stats.get('response_received_count', 0))} 个"
    )
    print(f"端到端（含进程启动与模型加载）：{wall:.1f} 秒，{stored / wall:.0f} 页/秒")
    print(
        f"抓取阶段（引擎开始到结束）：{crawl_s:.1f} 秒，{stored / crawl_s:.0f} 页/秒；进程启动 {wall - crawl_s:.1f} 秒"
    )
    print("抓取进程（Scrapy 反应器线程）：")
    _stages(
        {label: stats.get(f"bench/{key}", 0.0) for key, label in STAGES.items()},
        crawl_s,
        "其他（下载、引擎、日志、空闲）",
    )
    print("入库子进程（与抓取并行，占抓取阶段时间的比例）：")
    worker = {label: stats.get(f"yuqing/{key}_seconds", 0.0) for key, label in WORKER_STAGES.items()}
    _stages(worker, crawl_s, "空闲（等待抓取）")
    verdict = "达到" if stored / wall >= TARGET_PAGES_PER_S else "未达到"
    print(f"目标 ≥ {TARGET_PAGES_PER_S:.0f} 页/秒（端到端）：{verdict}")


def _stages(seconds: dict[str, float], total: float, rest: str) -> None:
    """One line per stage with its share of ``total``, and a last line for the time no stage took."""
    for label, value in [*seconds.items(), (rest, max(0.0, total - sum(seconds.values())))]:
        print(f"  {label:<14} {float(value):6.1f} 秒  {100 * float(value) / total:5.1f}%")


def print_profile(path: Path, top: int = 25) -> None:
    import pstats

    stats = pstats.Stats(str(path))
    by_package: dict[str, float] = {}
    for (filename, _line, name), row in stats.stats.items():  # type: ignore[attr-defined]
        package = _package(filename, name)
        by_package[package] = by_package.get(package, 0.0) + row[2]
    total = sum(by_package.values()) or 1.0
    print("\n按包统计的自身耗时（cProfile tottime；（C）为 C 实现的函数）：")
    for package, seconds in sorted(by_package.items(), key=lambda kv: -kv[1])[:15]:
        print(f"  {package:<24} {seconds:6.1f} 秒  {100 * seconds / total:5.1f}%")
    print(f"\n项目代码中累计耗时最多的 {top} 个函数：")
    stats.sort_stats("cumulative").print_stats(r"/(crawlers|analysis|tracker)/", top)


def _package(filename: str, name: str) -> str:
    """Which package a profiled function belongs to (C functions by the type or module they belong to)."""
    if filename == "~":
        owner = name.split("of '", 1)[1].split("'", 1)[0] if "of '" in name else name.rsplit(" ", 1)[-1]
        owner = owner.strip("<>")
        return f"{owner.split('.', 1)[0] if '.' in owner else 'builtins'}（C）"
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0]
    if filename.startswith(str(ROOT) + "/"):
        return filename[len(str(ROOT)) + 1 :].split("/", 1)[0]
    stdlib = re.search(r"/lib/python3\.\d+/([^/]+)", filename)
    return f"stdlib:{stdlib.group(1).removesuffix('.py')}" if stdlib else filename


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="抓取基准：本地 2000 个详情页，真实管道，SQLite")
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--per-list", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--profile", action="store_true", help="在 cProfile 下运行抓取并打印热点")
    parser.add_argument("--keep", action="store_true", help="保留临时目录（数据库、抓取日志、统计）")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))  # `python bench/crawl.py` puts bench/, not the repository, on the path
    from bench.crawl_site import Site, make_site

    site = Site(make_site(args.pages, args.per_list))
    tmp = Path(tempfile.mkdtemp(prefix="yuqing-bench-"))
    try:
        wall, stats, stored = run(args, tmp, site)
        report(args, wall, stats, stored)
        if args.profile:
            print_profile(tmp / "crawl.prof")
    finally:
        site.stop()
        if args.keep:
            print(f"临时目录已保留：{tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
