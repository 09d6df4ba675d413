"""Benchmark of the web UI: dashboard and incident page latency under 8 concurrent clients, on
PostgreSQL with 1,000,000 posts and 50,000 incidents (issue 7: p95 under 200 ms).

    .venv/bin/python bench/web.py                                  # generate (about 2 minutes), then measure
    .venv/bin/python bench/web.py --keep                           # reuse the data of the last run
    .venv/bin/python bench/web.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/test

Data lives in its own schema ``yuqing_bench_web`` (dropped and recreated unless --keep) on the real schema
(Alembic migrations). It is loaded with COPY with the posts' secondary indexes dropped during the load
and rebuilt after, then ANALYZEd. 10% of incidents are open (two deadlines each), post counts per
incident are skewed (a few thousand for the largest), posts span a year, and each incident has audit
events. The server is the production one (waitress, 8 threads, a separate process with its clock frozen
at NOW); clients are 8 threads with their own logged-in sessions, in this process.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

SCHEMA = "yuqing_bench_web"
NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # Monday 14:00 Beijing
TARGET_MS = 200.0
PASSWORD = "Bench-pass-2026"
PROPOSED_INDEX = "audit_events (entity, entity_id)"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def schema_url(url: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{SCHEMA}"


def _naive(dt: datetime) -> datetime:
    return dt.astimezone(UTC).replace(tzinfo=None)


def _copy(engine: Engine, table: str, columns: tuple[str, ...], rows: Any) -> int:
    raw = engine.raw_connection()
    n = 0
    try:
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
            for row in rows:
                copy.write_row(row)
                n += 1
        raw.commit()
    finally:
        raw.close()
    return n


def _post_counts(incidents: int, posts: int, rng: random.Random) -> list[int]:
    """Skewed sizes (Pareto), at least one post each, summing to ``posts``."""
    weights = [rng.paretovariate(1.3) for _ in range(incidents)]
    scale = (posts - incidents) / sum(weights)
    counts = [1 + int(w * scale) for w in weights]
    counts[0] += posts - sum(counts)
    return counts


def generate(url: str, n_incidents: int, n_posts: int) -> None:
    from tracker.auth import hash_password
    from tracker.migrate import upgrade

    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    admin.dispose()
    engine = create_engine(schema_url(url))
    upgrade(engine)
    rng = random.Random(7)
    t0 = time.monotonic()
    now = _naive(NOW)
    _copy(
        engine,
        "units",
        ("id", "name", "region", "duty_mobiles"),
        ((u, f"单位{u}", "", "[]") for u in range(1, 31)),
    )
    _copy(engine, "sources", ("id", "name", "kind", "url", "config", "interval_s", "region", "enabled",
                              "consecutive_failures", "last_counts", "total_posts"),
          ((s, f"来源{s}", "feed", f"http://127.0.0.1/{s}/", "{}", 600, "", True, 0, "{}", 0) for s in range(1, 21)))  # fmt: skip
    counts = _post_counts(n_incidents, n_posts, rng)
    incidents, firsts = [], {}
    for i in range(1, n_incidents + 1):
        is_open = i % 10 == 0
        first = (
            now - timedelta(hours=rng.uniform(1, 60))
            if is_open
            else now - timedelta(days=rng.uniform(3, 365))
        )
        firsts[i] = first
        incidents.append((i, f"事件{i}：某地群众反映的问题", "food_drug_safety" if i % 3 else "transport", "[]",
                          "IV" if i % 4 else "II", False, "IV", '["帖子数增长较快"]', "open" if is_open else "closed",
                          "", "feed", "[]", first, first, first, 1 + i % 30, counts[i - 1], counts[i - 1] // 3,
                          float(counts[i - 1]), False, "", False))  # fmt: skip
    _copy(engine, "incidents", ("id", "title", "category", "category_evidence", "grade", "grade_confirmed",
          "suggested_grade", "suggested_reasons", "status", "region", "source_kind", "topics", "first_post_at",
          "detected_at", "last_post_at", "lead_unit_id", "post_count", "negative_count", "heat", "public",
          "public_summary", "needs_policy"), incidents)  # fmt: skip
    _copy(
        engine,
        "incident_units",
        ("incident_id", "unit_id"),
        ((i, 1 + i % 30) for i in range(1, n_incidents + 1)),
    )
    _load_posts(engine, counts, firsts, rng)
    _load_work(engine, n_incidents, firsts, rng)
    _copy(engine, "users", ("id", "username", "password_hash", "role", "unit_id", "active", "created_at"),
          [(1, "admin", hash_password(PASSWORD), "admin", None, True, now),
           (2, "unit", hash_password(PASSWORD), "unit", 1, True, now)])  # fmt: skip
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in (
            "units",
            "sources",
            "incidents",
            "posts",
            "obligations",
            "responses",
            "audit_events",
            "users",
        ):
            conn.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            )
        conn.execute(text("ANALYZE"))
    print(
        f"生成数据：{n_incidents} 个事件、{n_posts} 条帖子，用时 {time.monotonic() - t0:.0f} 秒", flush=True
    )
    engine.dispose()


def _load_posts(engine: Engine, counts: list[int], firsts: dict[int, datetime], rng: random.Random) -> None:
    """COPY with the secondary indexes dropped (recreated afterwards: much faster than maintaining them)."""
    with engine.begin() as conn:
        defs = [
            d for (d,) in conn.execute(text(
                "SELECT indexdef FROM pg_indexes WHERE tablename = 'posts' AND schemaname = current_schema() "
                "AND indexname NOT IN (SELECT conname FROM pg_constraint)"))
        ]  # fmt: skip
        for d in defs:
            conn.execute(text("DROP INDEX " + d.split(" INDEX ", 1)[1].split(" ON ", 1)[0]))
    now = _naive(NOW)
    text_body = "多名群众反映该问题已持续一段时间，希望有关部门尽快调查处理并公开结果，" * 2

    def rows() -> Any:
        pid = 0
        for inc, n in enumerate(counts, start=1):
            first = firsts[inc]
            for k in range(n):
                pid += 1
                at = min(first + timedelta(minutes=k * rng.uniform(0.5, 5)), now)
                s = rng.random()
                yield (pid, 1 + pid % 20, f"e{pid}", f"http://127.0.0.1/p/{pid}", f"帖子{pid}：群众反映问题",
                       text_body, at, at, f"{pid:x}", pid, pid % 65536, (pid >> 3) % 65536, (pid >> 6) % 65536,
                       (pid >> 9) % 65536, s, "bench", "food_drug_safety", "[]", "[]", "{}", inc)  # fmt: skip

    _copy(engine, "posts", ("id", "source_id", "external_id", "url", "title", "text", "published_at", "fetched_at",
          "content_hash", "simhash", "band0", "band1", "band2", "band3", "sentiment", "sentiment_model",
          "category", "categories", "topics", "metrics", "incident_id"), rows())  # fmt: skip
    with engine.begin() as conn:
        for d in defs:
            conn.execute(text(d))


def _load_work(engine: Engine, n: int, firsts: dict[int, datetime], rng: random.Random) -> None:
    """Obligations (2 per open incident, 1 met per closed one), responses, audit events (6 per incident)."""
    obligations, responses, audit = [], [], []
    now = _naive(NOW)
    for i in range(1, n + 1):
        first = firsts[i]
        if i % 10 == 0:
            for kind, hours in (("权威信息发布", 5), ("新闻发布会", 24)):
                due = first + timedelta(hours=hours)
                state = "breached" if due < now and i % 20 == 0 else "pending"
                obligations.append((len(obligations) + 1, i, kind, "重大及以上舆情", f"{hours}h", "first_post", first, due,
                                    False, state, 0, 0, first + (due - first) * 0.6, None, 1 + i % 30))  # fmt: skip
        else:
            responses.append((len(responses) + 1, i, "通报", first + timedelta(hours=3), first + timedelta(hours=3),
                              "duty", 1 + i % 30, "", "", "已调查处理。", False, "{}"))  # fmt: skip
            obligations.append((len(obligations) + 1, i, "回应", "一般政务舆情", "48h", "first_post", first,
                                first + timedelta(hours=48), False, "met", 0, 0, first, first + timedelta(hours=3),
                                1 + i % 30))  # fmt: skip
        for k in range(6):
            eid = len(audit) + 1
            audit.append((eid, first + timedelta(minutes=k), "duty", "incident.grade", "incident", i,
                          json.dumps({"reason": "研判"}, ensure_ascii=False), f"{eid - 1:064x}", f"{eid:064x}"))  # fmt: skip
    _copy(engine, "obligations", ("id", "incident_id", "kind", "rule", "within", "basis", "start_at", "due_at",
          "provisional", "state", "warned_level", "escalation_stage", "next_check_at", "met_at", "unit_id"),
          obligations)  # fmt: skip
    _copy(engine, "responses", ("id", "incident_id", "form", "published_at", "recorded_at", "recorded_by", "unit_id",
          "unit_name", "url", "text", "candidate", "effect"), responses)  # fmt: skip
    _copy(engine, "audit_events", ("id", "at", "actor", "action", "entity", "entity_id", "payload", "prev_hash",
          "hash"), audit)  # fmt: skip


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
    settings.root = str(Path(__file__).resolve().parents[1] / "var" / "bench-web")
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
