"""Load test (issue 8 §7): the web UI under concurrent logged-in clients while posts are ingested.

    .venv/bin/python bench/load.py                      # 100,000 posts on SQLite (var/ of a temp folder)
    .venv/bin/python bench/load.py --posts 20000        # a shorter run
    .venv/bin/python bench/load.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/load.py --crawl --pg …       # ingested by a real crawl of a local site

The web server is the production app factory under waitress (8 threads) in its own process; this process
runs N client threads, each logged in, reading the dashboard, incident pages, the ledger and the sources
page and confirming a grade every tenth request (a write that competes with the ingest). The posts come
either from an ingest process storing them in batches of ``--batch`` through ``tracker.ingest.store_posts``
(what a crawl's ingest worker calls; the analysis is done once up front for 600 distinct texts and reused,
so it measures storage and incident merging), or with ``--crawl`` from the product's own crawl (`scrapy
crawl listing`, its ingest worker process, real analysis) of a generated site of list and detail pages
served by a fourth process, politeness off. Every process runs at the same frozen time
(YUQING_FROZEN_NOW). Targets: zero errors, p95 under 300 ms; the peak memory of each process is printed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests

from bench.crawl_site import LISTING_SOURCE, crawl_env
from tracker.app import App, load_app

ROOT = Path(__file__).resolve().parents[1]
TARGET_P95_MS = 300.0
NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # a Monday, 14:00 Beijing time
PASSWORD = "Bench-load-2026"
PG_SCHEMA = "yuqing_bench_load"
PLACES = [
    "东城区",
    "西城区",
    "南湖镇",
    "北山乡",
    "青石街道",
    "白沙县",
    "红旗村",
    "金桥开发区",
    "滨江路",
    "人民路",
]
PLACES += [
    "幸福小区",
    "实验小学",
    "第一中学",
    "市人民医院",
    "高铁站",
    "老城区",
    "工业园",
    "新区",
    "东湖",
    "西山",
]
ISSUES = [
    ("拖欠农民工工资", "工地拖欠二十多名农民工工资半年，工人多次讨要无果，要求劳动监察介入。"),
    ("停水三天无人管", "停水已经三天，物业和自来水公司互相推诿，居民生活困难。"),
    ("道路积水严重", "雨后积水严重，电动车熄火，行人只能绕行，希望尽快疏通排水。"),
    ("夜间施工噪音扰民", "工地连续多日夜间施工到凌晨，噪音很大，老人孩子无法休息。"),
    ("违规摆摊占道", "流动摊贩占道经营，售卖三无食品，上下学时段交通拥堵。"),
    ("食堂饭菜变质", "食堂饭菜有异味，多名学生吃后腹泻呕吐，家长要求公开食材来源。"),
    ("垃圾清运不及时", "垃圾桶满了好几天没人清运，臭气熏天，蚊蝇滋生。"),
    ("公交线路调整不便", "公交线路突然调整，老人上班族出行很不方便，希望恢复原线路。"),
    ("物业乱收费", "物业擅自上调停车费和公摊费用，业主多次反映没有回应。"),
    ("医院挂号难", "医院专家号一号难求，黄牛倒卖号源，患者排队一整天也挂不上。"),
]
VARIANTS = 3  # 20 places × 10 issues × 3 wordings = 600 distinct texts, analysed once

CONFIG = """[database]
url = "{url}"

[web]
host = "127.0.0.1"
port = {port}
base_url = "http://127.0.0.1:{port}"

[[sources]]
name = "论坛"
kind = "replay"
sections = ["bbs"]

{site_source}
[[units]]
name = "宣传部"

[alerts.channels."日志"]
url = "file://var/alerts.jsonl"

[[alerts.routes]]
name = "值班室"
channels = ["日志"]
"""


def texts() -> list[tuple[str, str]]:
    out = []
    for place in PLACES:
        for title, body in ISSUES:
            for v in range(VARIANTS):
                lead = ["网友反映", "有市民称", "记者了解到"][v]
                out.append((f"{place}{title}", f"{lead}，{place}{body}"))
    return out


def peak_rss_mib(pid: int | None = None) -> float:
    """VmHWM of a running process, or this process's own peak (ru_maxrss is in KiB on Linux)."""
    if pid is None:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def ingest_main(config: str, posts: int, max_seconds: float, batch_size: int) -> None:
    """The ingest process: store ``posts`` posts in batches as a crawl's ingest worker does (or stop at the
    time bound), print one JSON line."""
    from analysis import analyze
    from tracker import ingest

    app = load_app(config)
    ingest.configure(app)
    base = texts()
    analysed = analyze([f"{t}\n{x}" for t, x in base])
    rng = random.Random(8)
    t0 = time.monotonic()
    stored = errors = 0
    first_error = ""
    batch: list[dict[str, Any]] = []
    for n in range(posts):
        if time.monotonic() - t0 > max_seconds:
            break
        k = rng.randrange(len(base))
        title, body = base[k]
        at = NOW - timedelta(minutes=rng.randrange(3 * 24 * 60))  # spread over the last three days
        batch.append({"source": "论坛", "external_id": f"L{n}", "url": f"http://127.0.0.1/l/{n}.html",
                      "title": title, "text": f"{body}（第{n}帖）", "published_at": at, "fetched_at": NOW,
                      "author_hash": None, "analysis": analysed[k]})  # fmt: skip
        if len(batch) < batch_size and n < posts - 1:
            continue
        try:
            results = ingest.store_posts(batch)
            stored += sum(r.status == "new" for r in results)
            failed = [r for r in results if r.status == "error"]
            errors += len(failed)
            first_error = first_error or (failed[0].error or "" if failed else "")
        except Exception as exc:  # counted and reported: the benchmark's target is zero
            errors += len(batch)
            first_error = first_error or f"{type(exc).__name__}: {exc}"[:300]
        batch = []
    seconds = time.monotonic() - t0
    print(json.dumps({"stored": stored, "errors": errors, "first_error": first_error, "seconds": seconds,
                      "peak_rss_mib": peak_rss_mib()}, ensure_ascii=False))  # fmt: skip


def serve_main(config: str, port: int) -> None:
    import logging

    from waitress import serve

    from tracker.web import create_app

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "task queue depth": expected under load
    serve(create_app(load_app(config), environ={}), host="127.0.0.1", port=port, threads=8, _quiet=True)


PER_LIST = 20
SITE = "本地网站"  # the crawled source of --crawl


def prepare(folder: Path, url: str, port: int, site_port: int = 0, pages: int = 0) -> Path:
    import tracker.auth as auth
    from tracker.catalog import sync_catalog
    from tracker.db import transaction
    from tracker.migrate import upgrade

    config = folder / "yuqing.toml"
    lists = (pages + PER_LIST - 1) // PER_LIST
    site_url = f"http://127.0.0.1:{site_port}"
    site = LISTING_SOURCE.format(name=SITE, url=site_url, lists=lists) if site_port else ""
    config.write_text(CONFIG.format(url=url, port=port, site_source=site), encoding="utf-8")
    app = load_app(str(config))
    upgrade(app.engine)
    with transaction(app.sessions) as session:
        sync_catalog(session, app.settings)
        auth.create_user(session, "duty", PASSWORD, "duty", None, "bench", NOW)
    app.engine.dispose()
    return config


def pg_url(base: str) -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {PG_SCHEMA}"))
    engine.dispose()
    return f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{PG_SCHEMA}"


def _csrf(page: str) -> str:
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, "页面没有 CSRF 令牌"
    return token.group(1)


class Clients:
    """N logged-in browsers, until told to stop; every request timed, every failure counted."""

    def __init__(self, base: str, n: int) -> None:
        self.base, self.n = base, n
        self.times: dict[str, list[float]] = {}
        self.errors: list[str] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def _login(self) -> requests.Session:
        s = requests.Session()
        page = s.get(f"{self.base}/login", timeout=60).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token, "登录页没有 CSRF 令牌"
        r = s.post(f"{self.base}/login", data={"username": "duty", "password": PASSWORD,
                   "csrf_token": token.group(1)}, allow_redirects=False, timeout=60)  # fmt: skip
        assert r.status_code == 302, f"登录失败：HTTP {r.status_code}"
        s.csrf = _csrf(s.get(f"{self.base}/sources", timeout=60).text)  # type: ignore[attr-defined]
        return s

    def _one(self, s: requests.Session, rng: random.Random, i: int, top: int) -> tuple[str, int, int]:
        incident = rng.randint(1, max(1, top))
        if i % 10 == 9:
            data = {"grade": rng.choice(["一般", "较大"]), "reason": "压测研判", "csrf_token": s.csrf}  # type: ignore[attr-defined]
            r = s.post(
                f"{self.base}/incidents/{incident}/grade", data=data, allow_redirects=False, timeout=60
            )
            return "确认等级", r.status_code, 302
        name, path = [("工作台", "/"), ("事件页", f"/incidents/{incident}"), ("台账", "/ledger"),
                      ("来源", "/sources")][i % 4]  # fmt: skip
        r = s.get(self.base + path, timeout=60, allow_redirects=False)
        return name, r.status_code, 200

    def worker(self, seed: int, top: list[int]) -> None:
        rng = random.Random(seed)
        try:
            s = self._login()
        except Exception as exc:
            with self.lock:
                self.errors.append(f"登录：{exc}")
            return
        i = seed
        while not self.stop.is_set():
            i += 1
            t0 = time.perf_counter()
            try:
                name, status, ok = self._one(s, rng, i, top[0])
                problem = None if status in (ok, 404) else f"{name} HTTP {status}"  # 404: not created yet
            except requests.RequestException as exc:
                name, problem = "请求异常", f"{type(exc).__name__}: {exc}"
            took = (time.perf_counter() - t0) * 1000
            with self.lock:
                self.times.setdefault(name, []).append(took)
                if problem:
                    self.errors.append(problem)


def run(args: argparse.Namespace) -> int:
    folder = Path(tempfile.mkdtemp(prefix="yuqing-bench-load-"))
    url = pg_url(args.pg) if args.pg else f"sqlite:///{folder / 'var' / 'yuqing.db'}"
    (folder / "var").mkdir(exist_ok=True)
    site_port = args.port + 1 if args.crawl else 0
    config = prepare(folder, url, args.port, site_port, args.posts)
    env = {**os.environ, "YUQING_FROZEN_NOW": NOW.isoformat()}
    me = [sys.executable, __file__, "--config", str(config)]
    server = subprocess.Popen([*me, "--serve", "--port", str(args.port)], env=env)
    site = (
        subprocess.Popen([*me, "--site", "--port", str(site_port), "--posts", str(args.posts)])
        if args.crawl
        else None
    )
    base = f"http://127.0.0.1:{args.port}"
    for address in [base + "/healthz", *([f"http://127.0.0.1:{site_port}/list/1.html"] if site else [])]:
        for _ in range(1200):  # the site renders its pages first
            try:
                requests.get(address, timeout=2)
                break
            except requests.RequestException:
                time.sleep(0.1)
    how = (
        "真实抓取（本地网站，列表+详情页，礼貌限速关闭）"
        if args.crawl
        else f"直接入库（每批 {args.batch} 条）"
    )
    print(
        f"数据库：{'PostgreSQL' if args.pg else 'SQLite'}（{folder}）；{args.clients} 个并发客户端；{how}写入 {args.posts} 条帖子"
    )
    clients = Clients(base, args.clients)
    top = [1]
    threads = [
        threading.Thread(target=clients.worker, args=(k, top), daemon=True) for k in range(args.clients)
    ]
    t0 = time.monotonic()
    if args.crawl:
        ingest = subprocess.Popen(crawl_command(folder), cwd=ROOT, env={**crawl_env(config), **env})
    else:
        ingest = subprocess.Popen([*me, "--ingest", "--posts", str(args.posts), "--max-seconds", str(args.max_seconds),
                                   "--batch", str(args.batch)], env=env, stdout=subprocess.PIPE, text=True)  # fmt: skip
    for t in threads:
        t.start()
    peaks: dict[str, float] = {}
    app = load_app(str(config))  # to tell the clients which incident ids exist so far
    while ingest.poll() is None:
        time.sleep(1.0)
        _peaks(peaks, server.pid, ingest.pid if args.crawl else None)
        top[0] = _incident_count(app)
        if time.monotonic() - t0 > args.max_seconds and args.crawl:
            ingest.terminate()  # the crawl stops cleanly (Scrapy finishes what it has) and reports
    clients.stop.set()
    for t in threads:
        t.join(timeout=120)
    wall = time.monotonic() - t0
    _peaks(peaks, server.pid, None)
    server.terminate()
    server.wait(timeout=30)
    if site is not None:
        site.terminate()
        site.wait(timeout=30)
    if args.crawl:
        result = _crawl_result(app, wall, peaks)
    else:
        result = json.loads((ingest.stdout.read() if ingest.stdout else "").strip().splitlines()[-1])
        peaks["入库进程"] = result["peak_rss_mib"]
    app.engine.dispose()
    report(clients, result, wall, peaks, top[0], args)
    if not args.keep_data and not args.pg:
        shutil.rmtree(folder, ignore_errors=True)
    ok = not clients.errors and not result["errors"] and _p95(clients) < TARGET_P95_MS
    return 0 if ok else 1


def site_main(posts: int, port: int) -> None:
    """The crawled site, in its own process (the client threads here must not share a GIL with it)."""
    from bench.crawl_site import Site, make_site

    Site(make_site(posts, PER_LIST), port)
    threading.Event().wait()


def crawl_command(folder: Path) -> list[str]:
    settings = {"CONCURRENT_REQUESTS": "16", "CONCURRENT_REQUESTS_PER_DOMAIN": "16", "DOWNLOAD_DELAY": "0",
                "LOG_FILE": str(folder / "crawl.log")}  # fmt: skip
    cmd = [sys.executable, "-m", "scrapy", "crawl", "listing", "-a", f"source={SITE}"]
    return cmd + [a for k, v in settings.items() for a in ("-s", f"{k}={v}")]


def _peaks(peaks: dict[str, float], server: int, crawl: int | None) -> None:
    """Peak memory so far of the web server, and of the crawl and its ingest worker while they run."""
    found = {"网页服务": server}
    if crawl is not None:
        found["抓取进程"] = crawl
        children = Path(f"/proc/{crawl}/task/{crawl}/children")
        for child in children.read_text().split() if children.exists() else []:
            if "spawn_main" in Path(f"/proc/{child}/cmdline").read_text(errors="replace"):
                found["入库子进程"] = int(child)
    for name, pid in found.items():
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):  # ended meanwhile
            peaks[name] = max(peaks.get(name, 0.0), peak_rss_mib(pid))


def _crawl_result(app: App, seconds: float, peaks: dict[str, float]) -> dict[str, Any]:
    """What the crawl stored and what failed, from its health record."""
    from sqlalchemy import func, select

    from tracker.db import transaction
    from tracker.models import Post, Source

    with transaction(app.sessions) as session:
        stored = int(session.scalar(select(func.count()).select_from(Post)) or 0)
        source = session.scalar(select(Source).where(Source.name == SITE))
        counts = dict(source.last_counts or {}) if source else {}
        error = (source.last_error or "") if source and source.last_error_at else ""
    failed = int(counts.get("failed", 0))
    return {
        "stored": stored,
        "errors": failed + (1 if error else 0),
        "first_error": error,
        "seconds": seconds,
    }


def _incident_count(app: App) -> int:
    from sqlalchemy import func, select

    from tracker.db import transaction
    from tracker.models import Incident

    with transaction(app.sessions) as session:
        return int(session.scalar(select(func.max(Incident.id))) or 1)


def _p95(clients: Clients) -> float:
    every = [t for v in clients.times.values() for t in v]
    return statistics.quantiles(every, n=100)[94] if len(every) >= 2 else float("inf")


def report(clients: Clients, ingest: dict[str, Any], wall: float, peaks: dict[str, float], incidents: int,
           args: argparse.Namespace) -> None:  # fmt: skip
    total = sum(len(v) for v in clients.times.values())
    print(f"\n入库：{ingest['stored']} 条帖子（目标 {args.posts}），用时 {ingest['seconds']:.1f} 秒，"
          f"{ingest['stored'] / max(ingest['seconds'], 1e-9):.0f} 条/秒；入库错误 {ingest['errors']} "
          f"{ingest['first_error']}；事件 {incidents} 个")  # fmt: skip
    print(f"网页：{total} 个请求，用时 {wall:.1f} 秒，吞吐 {total / wall:.1f} 请求/秒；错误 {len(clients.errors)}"
          + (f"（首个：{clients.errors[0]}）" if clients.errors else ""))  # fmt: skip
    print(f"CPU {os.cpu_count()} 核；1 分钟平均负载 {os.getloadavg()[0]:.1f}（三个进程共用本机）")
    print(f"{'请求':<8}{'次数':>7}{'p50':>9}{'p95':>9}{'p99':>9}{'最大':>9}")
    for name, v in sorted(clients.times.items()):
        q = statistics.quantiles(v, n=100) if len(v) >= 2 else [v[0]] * 99
        print(f"{name:<6}{len(v):>9}{q[49]:>7.0f}ms{q[94]:>7.0f}ms{q[98]:>7.0f}ms{max(v):>7.0f}ms")
    p95 = _p95(clients)
    errors = len(clients.errors) + int(ingest["errors"])
    print(f"\n目标：错误 0 → 实际 {errors}（{'达标' if errors == 0 else '未达标'}）；"
          f"p95 < {TARGET_P95_MS:.0f} ms → 实际 {p95:.0f} ms（{'达标' if p95 < TARGET_P95_MS else '未达标'}，"
          f"{p95 / TARGET_P95_MS:.2f}×目标）")  # fmt: skip
    memory = "，".join(f"{name} {mib:.0f} MiB" for name, mib in peaks.items())
    print(f"峰值内存（VmHWM / ru_maxrss）：{memory}，压测进程 {peak_rss_mib():.0f} MiB")


def main() -> int:
    p = argparse.ArgumentParser(description="负载测试：并发客户端访问网页的同时入库大量帖子")
    p.add_argument("--posts", type=int, default=100_000, help="入库帖子数（默认 100000）")
    p.add_argument("--clients", type=int, default=8, help="并发客户端数")
    p.add_argument(
        "--max-seconds", type=float, default=1800.0, help="入库时间上限（秒），到时停止并报告实际条数"
    )
    p.add_argument("--crawl", action="store_true", help="用真实抓取入库（本地网站的列表页与详情页）")
    p.add_argument("--batch", type=int, default=50, help="每批入库条数（抓取的入库子进程自动成批，最多 100）")
    p.add_argument("--pg", default="", help="PostgreSQL 地址（默认使用临时目录中的 SQLite）")
    p.add_argument("--port", type=int, default=8798)
    p.add_argument("--keep-data", action="store_true", help="保留临时目录中的 SQLite 数据库以便查看")
    p.add_argument("--config", help=argparse.SUPPRESS)
    p.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--ingest", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--site", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.serve:
        serve_main(args.config, args.port)
        return 0
    if args.site:
        site_main(args.posts, args.port)
        return 0
    if args.ingest:
        ingest_main(args.config, args.posts, args.max_seconds, args.batch)
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
