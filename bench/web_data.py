"""Data for bench/web.py: 50,000 incidents and 1,000,000 posts on the real schema in PostgreSQL, loaded
with COPY (the posts' secondary indexes dropped during the load and rebuilt after), then ANALYZEd.

10% of incidents are open (two deadlines each, some breached), post counts per incident are skewed (Pareto:
a few thousand for the largest), posts span a year, and each incident has six audit events.
"""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

SCHEMA = "yuqing_bench_web"
NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # Monday 14:00 Beijing
PASSWORD = "Bench-pass-2026"
UNITS = 30
SOURCES = 20


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
    _load_catalog(engine)
    counts = _post_counts(n_incidents, n_posts, rng)
    firsts = _load_incidents(engine, counts, rng)
    _load_posts(engine, counts, firsts, rng)
    _load_work(engine, n_incidents, firsts)
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


def _load_catalog(engine: Engine) -> None:
    """Units, sources, and two users: an administrator and a user of unit 1."""
    from tracker.auth import hash_password

    now = _naive(NOW)
    _copy(
        engine,
        "units",
        ("id", "name", "region", "duty_mobiles"),
        ((u, f"单位{u}", "", "[]") for u in range(1, UNITS + 1)),
    )
    _copy(engine, "sources", ("id", "name", "kind", "url", "config", "interval_s", "region", "enabled",
                              "consecutive_failures", "last_counts", "total_posts"),
          ((s, f"来源{s}", "feed", f"http://127.0.0.1/{s}/", "{}", 600, "", True, 0, "{}", 0) for s in range(1, SOURCES + 1)))  # fmt: skip
    _copy(engine, "users", ("id", "username", "password_hash", "role", "unit_id", "active", "created_at"),
          [(1, "admin", hash_password(PASSWORD), "admin", None, True, now),
           (2, "unit", hash_password(PASSWORD), "unit", 1, True, now)])  # fmt: skip


def _load_incidents(engine: Engine, counts: list[int], rng: random.Random) -> dict[int, datetime]:
    """Incidents (every 10th open, first posted within 60 hours) and their units. Returns first-post times."""
    now = _naive(NOW)
    incidents, firsts = [], {}
    for i in range(1, len(counts) + 1):
        is_open = i % 10 == 0
        first = now - (
            timedelta(hours=rng.uniform(1, 60)) if is_open else timedelta(days=rng.uniform(3, 365))
        )
        firsts[i] = first
        incidents.append((i, f"事件{i}：某地群众反映的问题", "food_drug_safety" if i % 3 else "transport", "[]",
                          "IV" if i % 4 else "II", False, "IV", '["帖子数增长较快"]', "open" if is_open else "closed",
                          "", "feed", "[]", first, first, first, 1 + i % UNITS, counts[i - 1], counts[i - 1] // 3,
                          float(counts[i - 1]), False, "", False))  # fmt: skip
    _copy(engine, "incidents", ("id", "title", "category", "category_evidence", "grade", "grade_confirmed",
          "suggested_grade", "suggested_reasons", "status", "region", "source_kind", "topics", "first_post_at",
          "detected_at", "last_post_at", "lead_unit_id", "post_count", "negative_count", "heat", "public",
          "public_summary", "needs_policy"), incidents)  # fmt: skip
    _copy(engine, "incident_units", ("incident_id", "unit_id"), ((i, 1 + i % UNITS) for i in firsts))
    return firsts


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


def _load_work(engine: Engine, n: int, firsts: dict[int, datetime]) -> None:
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
