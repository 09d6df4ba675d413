"""Benchmark: crawl a local site of 2,000 detail pages through the real pipeline into a temporary SQLite
database and print pages/s and where the time goes.

Usage: .venv/bin/python bench/crawl.py [--pages 2000] [--per-list 20] [--concurrency 32] [--profile]

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
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

from crawlers.pipelines import AnalyzePipeline, DedupePipeline, IngestPipeline, NormalizePipeline
from crawlers.spiders.listing import ListingSpider

ROOT = Path(__file__).resolve().parents[1]
TARGET_PAGES_PER_S = 200.0
SOURCE = "基准站点"
STAGES = {
    "parse_list": "解析列表页",
    "parse_detail": "解析详情页",
    "normalize": "规范化",
    "dedupe": "去重（查库）",
    "analyze": "分析",
    "store": "存储与事件归并",
}

# ---- the site ------------------------------------------------------------------------------------------
PLACES = ["临江市", "江城区", "东湖街道", "城南新区", "青石镇", "河西社区", "高新区", "老城区"]
SPOTS = ["滨江路", "人民路口", "实验小学", "第三中学", "人民医院", "长途汽车站", "幸福里小区", "工业园"]
SENTENCES = [
    "{p}{s}早晚高峰拥堵严重，短短两公里要走{n}分钟，希望交警部门优化信号灯配时。",
    "{s}食堂的饭菜有异味，孩子回家后出现腹泻呕吐症状，已有{n}名学生到医院就诊。",
    "{p}一家建筑公司拖欠农民工工资{n}万元，工人多次讨薪无果，只能在工地门口等待。",
    "昨夜暴雨后{s}积水超过{n}厘米，多辆汽车被困，排水管网改造为何迟迟不见动静？",
    "{s}交房已经{n}个月，不动产证仍未办理，开发商一直推说手续还在审批。",
    "{s}挂号排队要{n}个小时，异地就医报销手续繁琐，老人来回跑了好几趟。",
    "{p}工业园一家企业夜间排放刺鼻气体，附近{n}户居民门窗都不敢开。",
    "据了解，{p}相关部门已经介入调查，具体情况将及时向社会公布。",
    "感谢{p}街道工作人员的及时回复，问题在{n}天内就得到了解决。",
    "希望有关部门尽快调查处理，给群众一个交代，也避免类似事情再次发生。",
    "{s}附近的路灯坏了{n}天没人修，晚上出行很不安全，多次拨打热线未果。",
    "今年{p}新增学位{n}个，但{s}周边的入学压力仍然很大，家长普遍担心。",
]


def _sentence(rng: random.Random) -> str:
    return rng.choice(SENTENCES).format(p=rng.choice(PLACES), s=rng.choice(SPOTS), n=rng.randint(2, 90))


def make_posts(count: int, seed: int = 7) -> list[tuple[str, str, str]]:
    """(title, text, time) per post: lengths spread from a few sentences to long letters; about one in ten
    reposts an earlier post with a new first sentence (near-duplicates, merged into one incident)."""
    rng = random.Random(seed)
    posts: list[tuple[str, str, str]] = []
    for i in range(count):
        when = f"2026-11-{rng.randint(10, 22):02d} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}"
        if posts and rng.random() < 0.1:
            title, text, _ = rng.choice(posts)
            body = _sentence(rng) + text.split("\n", 1)[-1]
            posts.append((f"转：{title}", body, when))
            continue
        n = max(2, min(60, int(rng.lognormvariate(2.0, 0.8))))
        paragraphs = ["".join(_sentence(rng) for _ in range(rng.randint(1, 4))) for _ in range(n // 2 + 1)]
        title = _sentence(rng)[: rng.randint(12, 28)].rstrip("，。") + f"（{i}）"
        posts.append((title, "\n".join(paragraphs), when))
    return posts


def _page(title: str, body: str) -> bytes:
    nav = "".join(f'<li><a href="/channel/{k}.html">栏目{k}</a></li>' for k in range(30))
    footer = "主办单位：临江市人民政府办公室　地址：临江市人民路1号　备案号：临ICP备00000000号"
    return (
        f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title></head>'
        f'<body><div class="header"><ul class="nav">{nav}</ul></div>{body}'
        f'<div class="footer">{footer}</div></body></html>'
    ).encode()


def make_site(pages: int, per_list: int) -> dict[str, bytes]:
    posts = make_posts(pages)
    site: dict[str, bytes] = {}
    lists = (pages + per_list - 1) // per_list
    for n in range(1, lists + 1):
        chunk = range((n - 1) * per_list, min(n * per_list, pages))
        items = "".join(
            f'<li><a class="t" href="/post/{i}.html">{posts[i][0]}</a><span>{posts[i][2]}</span></li>'
            for i in chunk
        )
        pager = f'<a class="next" href="/list/{n + 1}.html">下一页</a>' if n < lists else ""
        site[f"/list/{n}.html"] = _page(
            f"民生留言 第{n}页", f'<ul class="list">{items}</ul><div class="pager">{pager}</div>'
        )
    for i, (title, text, when) in enumerate(posts):
        paragraphs = "".join(f"<p>{p}</p>" for p in text.split("\n"))
        meta = f'<div class="meta"><span class="time">{when}</span> <span class="author">网友{i % 97}</span></div>'
        body = f'<div class="article"><h1 class="title">{title}</h1>{meta}<div class="content">{paragraphs}</div></div>'
        site[f"/post/{i}.html"] = _page(title, body)
    return site


class Site:
    """The generated pages from memory, HTTP/1.1 keep-alive, on 127.0.0.1."""

    def __init__(self, pages: dict[str, bytes]) -> None:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                body = pages.get(self.path.split("?", 1)[0])
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# ---- timing hooks, loaded by the crawl subprocess (PYTHONPATH=bench, module name "crawl") -----------------
def _add(crawler: Crawler, key: str, seconds: float) -> None:
    assert crawler.stats is not None
    crawler.stats.inc_value(f"bench/{key}", seconds)


def _timed(base: type, key: str) -> type:
    class Timed(base):  # type: ignore[misc, valid-type]
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
TimedAnalyze = _timed(AnalyzePipeline, "analyze")
TimedIngest = _timed(IngestPipeline, "store")


class TimedListingSpider(ListingSpider):
    """The listing spider with its callbacks timed (a generator's work happens as it is consumed)."""

    name = "bench_listing"

    def parse_entry(self, response: Any, page_no: int = 1) -> list[Any]:
        return self._timed("parse_list", super().parse_entry(response, page_no))

    def parse_detail(self, response: Any) -> list[Any]:
        return self._timed("parse_detail", super().parse_detail(response))

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

[[sources]]
name = "{source}"
kind = "listing"
url = "{url}/list/1.html"
item_links = "ul.list li a.t"
next_page = "div.pager a.next"
max_pages = {lists}
title = "h1.title::text"
text = "div.content"
time = "span.time::text"
author = "span.author::text"

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
        f"crawl.Timed{n}": 100 * (i + 1) for i, n in enumerate(("Normalize", "Dedupe", "Analyze", "Ingest"))
    }
    extensions = {"crawlers.health.HealthReporter": 500, "crawl.DumpStats": 600}
    settings = {
        "SPIDER_MODULES": "crawlers.spiders,crawl",
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


def run(args: argparse.Namespace, tmp: Path, site: Site) -> tuple[float, dict[str, float], int]:
    from sqlalchemy import func, select

    from tracker.app import load_app
    from tracker.catalog import sync_catalog
    from tracker.db import transaction
    from tracker.migrate import upgrade
    from tracker.models import Incident, Post

    lists = (args.pages + args.per_list - 1) // args.per_list
    config = tmp / "yuqing.toml"
    db = tmp / "bench.db"
    config.write_text(CONFIG.format(db=db, source=SOURCE, url=site.url, lists=lists), encoding="utf-8")
    app = load_app(str(config))
    upgrade(app.engine)
    with transaction(app.sessions) as session:
        sync_catalog(session, app.settings)
    env = dict(
        os.environ,
        YUQING_CONFIG=str(config),
        SCRAPY_SETTINGS_MODULE="crawlers.settings",
        YUQING_SCRAPY_OBEY_ROBOTS="false",
        YUQING_SCRAPY_AUTOTHROTTLE="false",
        YUQING_SCRAPY_HTTPCACHE="false",
        PYTHONPATH=os.pathsep.join([str(ROOT / "bench"), str(ROOT), os.environ.get("PYTHONPATH", "")]),
    )
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
    measured = 0.0
    for key, label in STAGES.items():
        seconds = float(stats.get(f"bench/{key}", 0.0))
        measured += seconds
        print(f"  {label:<10} {seconds:6.1f} 秒  {100 * seconds / crawl_s:5.1f}%")
    other = max(0.0, crawl_s - measured)
    print(f"  {'其他（下载、引擎、日志）':<10} {other:6.1f} 秒  {100 * other / crawl_s:5.1f}%")
    verdict = "达到" if stored / wall >= TARGET_PAGES_PER_S else "未达到"
    print(f"目标 ≥ {TARGET_PAGES_PER_S:.0f} 页/秒（端到端）：{verdict}")


def print_profile(path: Path, top: int = 25) -> None:
    import pstats

    stats = pstats.Stats(str(path))
    by_package: dict[str, float] = {}
    for (filename, _line, _name), row in stats.stats.items():  # type: ignore[attr-defined]
        by_package[_package(filename)] = by_package.get(_package(filename), 0.0) + row[2]
    total = sum(by_package.values()) or 1.0
    print("\n按包统计的自身耗时（cProfile tottime）：")
    for name, seconds in sorted(by_package.items(), key=lambda kv: -kv[1])[:15]:
        print(f"  {name:<22} {seconds:6.1f} 秒  {100 * seconds / total:5.1f}%")
    print(f"\n最耗时的 {top} 个函数（累计耗时）：")
    stats.sort_stats("cumulative").print_stats(top)


def _package(filename: str) -> str:
    for marker in ("site-packages/", "/work/main/", str(ROOT) + "/", "lib/python3"):
        if marker in filename:
            rest = filename.split(marker, 1)[1].lstrip("/")
            return rest.split("/", 1)[0] if "/" in rest else rest
    return filename if filename.startswith("<") else "（其他）"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="抓取基准：本地 2000 个详情页，真实管道，SQLite")
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--per-list", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--profile", action="store_true", help="在 cProfile 下运行抓取并打印热点")
    parser.add_argument("--keep", action="store_true", help="保留临时目录（数据库、抓取日志、统计）")
    args = parser.parse_args(argv)
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
