"""Benchmark of the web UI: dashboard and incident page latency under 8 concurrent clients, on
PostgreSQL with 1,000,000 posts and 50,000 incidents (issue 7: p95 under 200 ms).

    .venv/bin/python bench/web.py                                  # generate (about 2 minutes), then measure
    .venv/bin/python bench/web.py --keep                           # reuse the data of the last run
    .venv/bin/python bench/web.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/test

Data lives in its own schema ``yuqing_bench_web`` (dropped and recreated unless --keep) on the real schema
(Alembic migrations); bench/web_data.py describes it. The server is the production one (waitress, 8 threads, a separate process with its clock frozen
at NOW); clients are 8 threads with their own logged-in sessions, in this process.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests
from sqlalchemy import create_engine, text

from bench.web_data import NOW, PASSWORD, generate, schema_url

TARGET_MS = 200.0
PROPOSED_INDEX = "audit_events (entity, entity_id)"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _proposed_index(url: str, create: bool) -> None:
    """The audit trail of one incident is selected by (entity, entity_id); the 0001 schema has no index
    for it, which makes the incident page scan every audit row. Asked for in the migrations."""
    engine = create_engine(schema_url(url))
    with engine.begin() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_indexes WHERE indexname = 'ix_audit_events_entity' "
                                   "AND schemaname = current_schema()")).first()  # fmt: skip
        if create and not exists:
            conn.execute(text("CREATE INDEX ix_audit_events_entity ON audit_events (entity, entity_id)"))
            conn.execute(text("ANALYZE audit_events"))
        elif not create and exists:
            conn.execute(text("DROP INDEX ix_audit_events_entity"))
    engine.dispose()
    print(f"索引 {PROPOSED_INDEX}：{'已创建（建议加入迁移）' if create else '未创建（现有表结构）'}")


def serve(url: str, port: int) -> None:
    """The server process: production app factory and waitress with 8 threads, clock frozen at NOW."""
    import logging

    from waitress import serve as waitress_serve

    from tracker.app import App
    from tracker.settings_schema import Settings
    from tracker.web import create_app

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "task queue depth": expected under load
    settings = Settings()
    settings.database.url = schema_url(url)
    settings.root = tempfile.mkdtemp(prefix="yuqing-bench-web-")  # the generated session key goes here
    waitress_serve(create_app(App(settings), environ={}), host="127.0.0.1", port=port, threads=8, _quiet=True)


def _session(base: str, username: str) -> requests.Session:
    s = requests.Session()
    page = s.get(f"{base}/login", timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, "no CSRF token on the login page"
    r = s.post(f"{base}/login", data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)},
               allow_redirects=False, timeout=30)  # fmt: skip
    assert r.status_code == 302, f"login failed: {r.status_code}"
    return s


def load(base: str, clients: int, rounds: int, n_incidents: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"工作台（管理员）": [], "工作台（单位用户）": [], "事件页": []}
    lock = threading.Lock()

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        admin, unit = _session(base, "admin"), _session(base, "unit")
        for _ in range(rounds):
            for name, s, path in (("工作台（管理员）", admin, "/"), ("工作台（单位用户）", unit, "/"),
                                  ("事件页", admin, f"/incidents/{rng.randint(1, n_incidents)}")):  # fmt: skip
                t0 = time.perf_counter()
                r = s.get(base + path, timeout=60)
                took = (time.perf_counter() - t0) * 1000
                assert r.status_code == 200, f"{path}: {r.status_code}"
                with lock:
                    times[name].append(took)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times


def report(times: dict[str, list[float]], wall: float, load_before: float) -> None:
    total = sum(len(v) for v in times.values())
    print(f"\n{total} 个请求，用时 {wall:.1f} 秒，吞吐 {total / wall:.1f} 请求/秒")
    # The server, PostgreSQL and the clients share this machine's CPUs: say how busy it was.
    print(
        f"CPU {os.cpu_count()} 核；1 分钟平均负载 测量前 {load_before:.1f}，测量后 {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'页面':<14}{'请求数':>6}{'p50':>9}{'p95':>9}{'p99':>9}{'最大':>9}   目标 p95 < {TARGET_MS:.0f} ms"
    )
    for name, v in times.items():
        q = statistics.quantiles(v, n=100)
        verdict = "达标" if q[94] < TARGET_MS else "未达标"
        print(
            f"{name:<12}{len(v):>8}{q[49]:>8.0f}ms{q[94]:>7.0f}ms{q[98]:>7.0f}ms{max(v):>7.0f}ms   {verdict}（{q[94] / TARGET_MS:.2f}×目标）"
        )


def main() -> int:
    p = argparse.ArgumentParser(description="网页性能基准：工作台与事件页在 8 个并发客户端下的 p95 延迟")
    p.add_argument("--pg", default=os.environ.get("YUQING_TEST_PG_URL") or DEFAULT_PG)
    p.add_argument("--incidents", type=int, default=50_000)
    p.add_argument("--posts", type=int, default=1_000_000)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--rounds", type=int, default=25, help="每个客户端的轮数（每轮三个页面各一次）")
    p.add_argument("--port", type=int, default=8799)
    p.add_argument("--keep", action="store_true", help="沿用上次生成的数据")
    p.add_argument(
        "--no-proposed-index",
        action="store_true",
        help=f"不创建建议新增的索引（{PROPOSED_INDEX}），测量现有表结构",
    )
    p.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.serve:
        serve(args.pg, args.port)
        return 0
    if not args.keep:
        generate(args.pg, args.incidents, args.posts)
    _proposed_index(args.pg, not args.no_proposed_index)
    env = {**os.environ, "YUQING_FROZEN_NOW": NOW.isoformat()}
    cmd = [sys.executable, __file__, "--serve", "--pg", args.pg, "--port", str(args.port)]
    server = subprocess.Popen(cmd, env=env)
    base = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(100):
            try:
                requests.get(f"{base}/healthz", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        load(base, 2, 2, args.incidents)  # warm-up: connections, template compilation, caches
        load_before, t0 = os.getloadavg()[0], time.monotonic()
        times = load(base, args.clients, args.rounds, args.incidents)
        report(times, time.monotonic() - t0, load_before)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
