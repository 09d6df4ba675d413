"""Benchmark of the every-minute sweep (tracker.sweep.run) on 100,000 open obligations.

Baseline: the 1 s target of issue 5 (the sweep runs every minute and must stay far below it).
Scenarios, each on the real schema (Alembic migrations):
  1. nothing due (the common minute);
  2. 1% reach a warning point (next_check_at <= now < due_at);
  3. 1% pass their deadline (due_at <= now): breach, audit and two alerts each.
For 2 and 3 the sweep is timed without delivery and the outbox delivery (to a file channel, fsync per
batch) separately, then the sweep is run again to show it is idempotent. Every SELECT the sweep issued
is then shown with its EXPLAIN QUERY PLAN (SQLite) or EXPLAIN (PostgreSQL) and its total time.

    .venv/bin/python bench/sweep.py                       # SQLite in a temporary folder
    .venv/bin/python bench/sweep.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/test
    YUQING_TEST_PG_URL=... .venv/bin/python bench/sweep.py  # both

SQLite is measured without ANALYZE (as a fresh installation runs); PostgreSQL after ANALYZE (autovacuum
would do it within a minute of a bulk load). PostgreSQL runs in its own schema ``yuqing_bench``.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, event, func, insert, select, text, update
from sqlalchemy.engine import Engine

from tracker.app import App
from tracker.clock import FrozenClock
from tracker.models import AlertOutbox, AuditEvent, Commitment, Incident, Obligation
from tracker.settings_schema import RouteSettings, Settings

TARGET_S = 1.0
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # a Monday, 10:00 Beijing
PER_INCIDENT = 10
CHUNK = 10_000
PG_SCHEMA = "yuqing_bench"


class SqlLog:
    """Every statement the sweep sends, with its first parameters and its total time."""

    def __init__(self, engine: Engine) -> None:
        self.first: dict[str, Any] = {}
        self.total: dict[str, float] = defaultdict(float)
        self.count: dict[str, int] = defaultdict(int)
        self.phase_time = 0.0  # SQL time and statements since the last reset (one timed call)
        self.phase_n = 0
        self.on = False
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, cursor: Any, stmt: str, params: Any, context: Any, many: bool) -> None:
        conn.info["t0"] = time.perf_counter()

    def _after(self, conn: Any, cursor: Any, stmt: str, params: Any, context: Any, many: bool) -> None:
        if not self.on:
            return
        took = time.perf_counter() - conn.info.pop("t0", time.perf_counter())
        self.first.setdefault(stmt, params)
        self.total[stmt] += took
        self.count[stmt] += 1
        self.phase_time += took
        self.phase_n += 1


def make_app(url: str, root: Path) -> App:
    from tracker.migrate import upgrade

    settings = Settings()
    settings.database.url = url
    settings.root = str(root)
    settings.alerts.routes = [RouteSettings(name="值班室", channels=[f"file://{root / 'alerts.jsonl'}"])]
    app = App(settings, FrozenClock(NOW))
    upgrade(app.engine)
    return app


def populate(app: App, n: int) -> None:
    """n pending obligations, 10 per incident, due between 1 hour and 30 days from now."""
    incidents = [
        {"id": i, "title": f"事件{i}", "detected_at": NOW - timedelta(hours=1), "first_post_at": NOW - timedelta(hours=1),
         "needs_policy": False, "status": "open", "suggested_grade": "IV"}
        for i in range(1, n // PER_INCIDENT + 1)
    ]  # fmt: skip
    start = NOW - timedelta(hours=1)
    with app.engine.begin() as conn:
        for i in range(0, len(incidents), CHUNK):
            conn.execute(insert(Incident), incidents[i : i + CHUNK])
        for lo in range(1, n + 1, CHUNK):
            rows = []
            for i in range(lo, min(lo + CHUNK, n + 1)):
                due = NOW + timedelta(hours=1 + i % 720)
                rows.append(
                    {"id": i, "incident_id": (i - 1) // PER_INCIDENT + 1, "kind": "回应", "rule": "一般政务舆情",
                     "within": "48h", "basis": "first_post", "start_at": start, "due_at": due, "state": "pending",
                     "next_check_at": start + (due - start) * 0.6, "provisional": False}
                )  # fmt: skip
            conn.execute(insert(Obligation), rows)
    _commitments(app, n // PER_INCIDENT)
    if app.engine.dialect.name == "postgresql":
        with app.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))


def _commitments(app: App, n: int) -> None:
    """n pending commitments (one per incident) due in 5 to 60 days; every 20th is periodic (no date)."""
    rows = [
        {"id": i, "incident_id": i, "content": f"承诺{i}", "status": "pending", "periodic": i % 20 == 0,
         "due_at": None if i % 20 == 0 else NOW + timedelta(days=5 + i % 55), "provisional": False,
         "created_at": NOW - timedelta(days=1), "reminded_at": NOW - timedelta(hours=1)}
        for i in range(1, n + 1)
    ]  # fmt: skip
    with app.engine.begin() as conn:
        conn.execute(insert(Commitment), rows)


def make_due(app: App, scenario: str) -> int:
    """Move 1% of the obligations to a warning point or past their deadline."""
    if scenario == "warn":  # a 48 h window started 30 h ago: its 60% point passed 1.2 h ago
        values: dict[str, Any] = {
            "start_at": NOW - timedelta(hours=30),
            "due_at": NOW + timedelta(hours=18),
            "next_check_at": NOW - timedelta(hours=1, minutes=12),
        }
        where = Obligation.id % 100 == 1
    else:
        values = {"due_at": NOW - timedelta(minutes=10), "start_at": NOW - timedelta(hours=48, minutes=10)}
        where = Obligation.id % 100 == 0
    with app.engine.begin() as conn:
        return int(conn.execute(update(Obligation).where(where).values(**values)).rowcount)


def timed(log: SqlLog, label: str, fn: Any) -> tuple[float, Any]:
    log.phase_time, log.phase_n = 0.0, 0
    t0 = time.perf_counter()
    result = fn()
    took = time.perf_counter() - t0
    verdict = "达标" if took < TARGET_S else "超出"
    print(
        f"  {label:<34} {took * 1000:8.1f} ms （目标 {TARGET_S:.0f} s：{verdict}；"
        f"其中数据库执行 {log.phase_time * 1000:.0f} ms，{log.phase_n} 条语句）"
    )
    return took, result


def scenarios(app: App, log: SqlLog) -> None:
    from tracker.outbox import deliver_due
    from tracker.sweep import run

    print("场景一：没有到期项")
    for i in range(3):
        _, rep = timed(log, f"第{i + 1}次 run(app, now)", lambda: run(app, NOW))
    print(f"    结果：超时 {rep.breached}，预警 {rep.warned}，发送 {rep.delivered}")
    for name, scenario in (("场景二：1% 到达预警点", "warn"), ("场景三：1% 已过截止时间", "breach")):
        print(f"{name}（{make_due(app, scenario)} 项）")
        _, rep = timed(log, "run(app, now, deliver=False)", lambda: run(app, NOW, deliver=False))
        _, res = timed(log, "deliver_due(app, now)（首批）", lambda: deliver_due(app, NOW))
        print(f"    结果：超时 {rep.breached}，预警 {rep.warned}，升级 {rep.escalated}，发送 {res.sent}")
        _, rep = timed(log, "再次 run(app, now, deliver=False)", lambda: run(app, NOW, deliver=False))
        print(f"    幂等：第二次超时 {rep.breached}，预警 {rep.warned}")


_SCAN = re.compile(r"\bSCAN (\w+)(?! USING (?:COVERING )?INDEX)|Seq Scan on (\w+)")
_BIG = {"obligations", "incidents", "commitments"}  # the tables that grow with open work
SLOW_MS = 5.0


def _short(stmt: str) -> str:
    """The statement without its column list: the FROM/WHERE part is what the plan is about."""
    flat = " ".join(stmt.split())
    head, sep, rest = flat.partition(" FROM ")
    return (head[:40] + " …" + sep + rest if len(head) > 60 else flat)[:400]


def explain(app: App, log: SqlLog) -> None:
    sqlite = app.engine.dialect.name == "sqlite"
    prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
    print("查询计划（巡检发出的每条 SELECT，按总耗时排序）：")
    selects = [s for s in log.first if s.lstrip().upper().startswith("SELECT")]
    for stmt in sorted(selects, key=lambda s: -log.total[s]):
        avg = log.total[stmt] * 1000 / log.count[stmt]
        slow = f"   ← 每次 {avg:.1f} ms：读取量随待办总数增长" if avg > SLOW_MS else ""
        print(f"\n  [{log.count[stmt]} 次，共 {log.total[stmt] * 1000:.1f} ms{slow}] {_short(stmt)}")
        with app.engine.connect() as conn:
            plan = conn.exec_driver_sql(prefix + stmt, log.first[stmt]).all()
        for row in plan:
            line = str(row[-1] if sqlite else row[0])
            m = _SCAN.search(line)
            table = m and (m.group(1) or m.group(2))
            flag = "   ← 全表扫描" if table in _BIG else ""
            print(f"      {line}{flag}")


def bench(label: str, url: str, n: int) -> None:
    with tempfile.TemporaryDirectory(prefix="yuqing-bench-") as tmp:
        if url == "sqlite":
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        app = make_app(url, Path(tmp))
        t0 = time.perf_counter()
        populate(app, n)
        print(
            f"\n=== {label}：{n} 项待办时限，{n // PER_INCIDENT} 个事件（写入 {time.perf_counter() - t0:.1f} s）==="
        )
        log = SqlLog(app.engine)
        log.on = True
        scenarios(app, log)
        log.on = False
        with app.sessions() as s:
            outbox = s.scalar(select(func.count(AlertOutbox.id)))
            audit = s.scalar(select(func.count(AuditEvent.id)))
        print(f"  告警队列 {outbox} 行，审计事件 {audit} 行")
        explain(app, log)
        app.engine.dispose()


def pg_url(base: str) -> str:
    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {PG_SCHEMA}"))
    engine.dispose()
    return f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{PG_SCHEMA}"


def main() -> int:
    parser = argparse.ArgumentParser(description="巡检性能基准（目标：每次巡检 1 秒以内）")
    parser.add_argument("--n", type=int, default=100_000, help="待办时限数（默认 100000）")
    parser.add_argument("--pg", default=os.environ.get("YUQING_TEST_PG_URL", ""), help="PostgreSQL 地址")
    parser.add_argument("--no-sqlite", action="store_true", help="只测 PostgreSQL")
    args = parser.parse_args()
    if not args.no_sqlite:
        bench("SQLite", "sqlite", args.n)
    if args.pg:
        bench("PostgreSQL", pg_url(args.pg), args.n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
