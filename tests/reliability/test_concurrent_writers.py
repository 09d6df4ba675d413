"""Crawler, web and CLI writing to one SQLite database at once for 60 seconds: zero "database is locked"
errors and nothing lost.

- the crawler: a child process storing posts through ``tracker.ingest.store_post`` as fast as it can
  (analysis done once up front, so the process spends its time writing, not segmenting);
- the web: logged-in Flask clients in two threads posting 研判 (grade confirmations) and responses with
  their CSRF tokens, as people do in the browser;
- the CLI: ``yuqing sweep`` and ``yuqing respond`` subprocesses, one after another, for the whole minute.
Every write each of them reports as done must be in the database at the end, and no output of any of
them may mention a locked database.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

import tracker.auth as auth
from tests.conftest import T0, make_app
from tests.reliability.helpers import chain_problems
from tests.tracker.helpers import food_story, store
from tests.web.conftest import login, post
from tracker import ingest
from tracker.app import App
from tracker.db import transaction
from tracker.models import GradeChange, Post, Response
from tracker.sweep import run
from tracker.web import create_app

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
DURATION = 60.0
NOW = T0 + timedelta(hours=2)  # every process runs at this frozen time (YUQING_FROZEN_NOW)
PASSWORD = "Concurrent-writers-2026"
LOCKED = "database is locked"

CRAWLER = """
import json, sys, time, traceback
from analysis import analyze
from tracker import ingest
from tracker.app import load_app

app = load_app(sys.argv[1])
ingest.configure(app)
texts = [("建设路第%d段积水严重" % i, "市民反映建设路第%d段雨后积水严重，电动车熄火，希望尽快疏通。" % i)
         for i in range(5)]
analysed = analyze([t + "\\n" + x for t, x in texts])
deadline = time.monotonic() + float(sys.argv[2])
stored, errors, n = [], [], 0
while time.monotonic() < deadline:
    n += 1
    title, text = texts[n % 5]
    item = {"source": "新闻", "external_id": "w%d" % n, "url": "http://127.0.0.1/w/%d.html" % n,
            "title": title, "text": text + "（第%d次反映）" % n, "published_at": app.clock.now(),
            "fetched_at": app.clock.now(), "author_hash": None, "analysis": analysed[n % 5]}
    try:
        if ingest.store_post(item).status == "new":
            stored.append(item["url"])
    except Exception:
        errors.append(traceback.format_exc())
print(json.dumps({"stored": stored, "errors": errors}, ensure_ascii=False))
"""


class Tally:
    """What the writers of one kind report as done (per action), and every failure they saw."""

    def __init__(self) -> None:
        self.done: Counter[str] = Counter()
        self.failures: list[str] = []
        self.lock = threading.Lock()

    def loop(self, deadline: float, step: Callable[[int], tuple[str, str | None]]) -> None:
        i = 0
        while time.monotonic() < deadline:
            i += 1
            try:
                action, problem = step(i)
            except Exception as exc:  # a crash in a writer is a failure to report, not a test error
                action, problem = "crash", f"{type(exc).__name__}: {exc}"
            with self.lock:
                if problem is None:
                    self.done[action] += 1
                else:
                    self.failures.append(problem)


def setup(tmp_path: Path) -> tuple[App, list[int]]:
    auth.SCRYPT_LOG2_N = 10  # cheap hashes: the test is about the database, not scrypt
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'y.db'}", at=NOW)
    ingest.configure(app)
    incidents = [food_story(T0)[0].incident_id]
    for title, text in [
        ("某工地拖欠农民工工资", "某建筑工地拖欠二十多名农民工工资半年，工人多次讨要无果。"),
        ("幸福小区停水三天", "幸福小区停水已经三天，物业和自来水公司互相推诿，居民生活困难。"),
    ]:
        incidents.append(store("信箱", title, text, T0).incident_id)
    run(app)
    with transaction(app.sessions) as session:
        auth.create_user(session, "duty", PASSWORD, "duty", None, "test", NOW)
    assert all(i is not None for i in incidents)
    return app, [int(i) for i in incidents if i is not None]


def web_writer(flask_app: Flask, incident: int, deadline: float, tally: Tally) -> None:
    client = flask_app.test_client()
    if login(client, "duty", PASSWORD).status_code != 302:
        tally.failures.append("登录失败")
        return
    grades = ["重大", "较大"]

    def step(i: int) -> tuple[str, str | None]:
        if i % 2:
            action = "grade"
            data = {"grade": grades[i % 4 // 2], "reason": f"研判{i}"}  # alternates: every one a change
        else:
            action = "responses"
            data = {"form": "情况说明", "published_at": "2026-11-23T11:30", "text": f"网页回应{i}"}
        r = post(client, f"/incidents/{incident}/{action}", data)
        if r.status_code == 302 and "/login" not in r.headers.get("Location", ""):
            return action, None
        return action, f"{action} → HTTP {r.status_code}: {r.get_data(as_text=True)[-300:]}"

    tally.loop(deadline, step)


def cli_writer(config: str, incident: int, deadline: float, tally: Tally, outputs: list[str]) -> None:
    env = dict(os.environ, YUQING_FROZEN_NOW=NOW.isoformat())

    def step(i: int) -> tuple[str, str | None]:
        args = ["sweep"]
        if i % 2 == 0:
            args = ["respond", str(incident), "--form", "通报", "--at", "2026-11-23T11:30"]
            args += ["--text", f"命令行回应{i}", "--actor", "命令行"]
        done = subprocess.run(
            [sys.executable, "-m", "tracker.cli", "--config", config, *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        outputs.append(done.stdout + done.stderr)
        if done.returncode:
            return args[0], f"yuqing {args[0]} → {done.returncode}: {done.stderr[-500:]}"
        expected = "巡检完成" if args[0] == "sweep" else "已登记回应"
        return args[0], None if expected in done.stdout else f"yuqing {args[0]}: {done.stdout[-500:]}"

    tally.loop(deadline, step)


def test_crawler_web_and_cli_write_together_for_a_minute(tmp_path: Path) -> None:
    app, incidents = setup(tmp_path)
    with transaction(app.sessions) as session:
        posts_before = int(session.scalar(select(func.count()).select_from(Post)) or 0)
    env = dict(os.environ, YUQING_FROZEN_NOW=NOW.isoformat())
    crawler = subprocess.Popen(
        [sys.executable, "-c", CRAWLER, app.settings.path, str(DURATION)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + DURATION
    web, cli = Tally(), Tally()
    outputs: list[str] = []
    flask_app = create_app(app, environ={})  # one application, two browsers
    threads = [
        threading.Thread(target=web_writer, args=(flask_app, incidents[0], deadline, web)),
        threading.Thread(target=web_writer, args=(flask_app, incidents[1], deadline, web)),
        threading.Thread(target=cli_writer, args=(app.settings.path, incidents[2], deadline, cli, outputs)),
    ]
    for t in threads:
        t.start()
    out, err = crawler.communicate(timeout=DURATION + 120)
    for t in threads:
        t.join(timeout=180)
    assert crawler.returncode == 0, err[-3000:]
    assert not any(t.is_alive() for t in threads)
    crawled = json.loads(out.strip().splitlines()[-1])
    print(f"crawler {len(crawled['stored'])} posts, web {dict(web.done)}, cli {dict(cli.done)}")

    assert crawled["errors"] == [] and web.failures == [] and cli.failures == []
    everything = "\n".join([out, err, *outputs])
    assert LOCKED not in everything
    # each writer really ran concurrently for the minute, not one after another
    assert len(crawled["stored"]) >= 200 and min(web.done.values()) >= 25 and min(cli.done.values()) >= 3
    with transaction(app.sessions) as session:
        urls = set(session.scalars(select(Post.url)))
        posts_after = len(urls)
        by_web = session.scalar(select(func.count()).where(Response.recorded_by == "duty"))
        by_cli = session.scalar(select(func.count()).where(Response.recorded_by == "命令行"))
        grades = session.scalar(select(func.count()).where(GradeChange.actor == "duty"))
    assert set(crawled["stored"]) <= urls and posts_after == posts_before + len(crawled["stored"])
    assert (by_web, grades, by_cli) == (web.done["responses"], web.done["grade"], cli.done["respond"])
    assert chain_problems(app) == []
