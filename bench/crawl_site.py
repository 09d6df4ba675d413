"""The generated site of bench/crawl.py: a paginated list of Chinese posts of varying length and their
detail pages, rendered once into memory and served on 127.0.0.1 (HTTP/1.1 keep-alive)."""

from __future__ import annotations

import os
import random
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
#: a ``listing`` source for this site (the selectors match the markup below)
LISTING_SOURCE = """
[[sources]]
name = "{name}"
kind = "listing"
url = "{url}/list/1.html"
item_links = "ul.list li a.t"
next_page = "div.pager a.next"
max_pages = {lists}
title = "h1.title::text"
text = "div.content"
time = "span.time::text"
author = "span.author::text"
"""


def crawl_env(config: Path) -> dict[str, str]:
    """The product's crawl environment (as tracker/crawl_runner.py sets it) with politeness off for the
    local site: robots.txt, AutoThrottle and the HTTP cache."""
    return {
        **os.environ,
        "YUQING_CONFIG": str(config),
        "SCRAPY_SETTINGS_MODULE": "crawlers.settings",
        "YUQING_SCRAPY_OBEY_ROBOTS": "false",
        "YUQING_SCRAPY_AUTOTHROTTLE": "false",
        "YUQING_SCRAPY_HTTPCACHE": "false",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }


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

    def __init__(self, pages: dict[str, bytes], port: int = 0) -> None:
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

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
