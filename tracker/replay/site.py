"""Render the replay site's pages (pure: time is a parameter). The server in ``server.py`` serves them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

from tracker.clock import to_beijing
from tracker.replay.content import GBK_POST_ID, POSTS, ReplayPost

PAGE_SIZE = 5
SECTIONS = {"news": "临江新闻网", "bbs": "临江论坛", "board": "临江市长信箱"}


@dataclass(frozen=True)
class Page:
    body: bytes
    content_type: str
    status: int = 200


def visible(section: str, started: datetime, now: datetime) -> list[ReplayPost]:
    """Posts of a section that exist at ``now``, newest first."""
    elapsed_min = (now - started).total_seconds() / 60
    posts = [p for p in POSTS if p.section == section and p.minute <= elapsed_min]
    return sorted(posts, key=lambda p: (p.minute, p.id), reverse=True)


def published_at(post: ReplayPost, started: datetime) -> datetime:
    return started + timedelta(minutes=post.minute)


def _relative(t: datetime, now: datetime) -> str:
    """How a Chinese forum prints times: 刚刚, 25分钟前, 3小时前, 昨天 08:00, 11-20 10:14."""
    delta = now - t
    local, local_now = to_beijing(t), to_beijing(now)
    if delta < timedelta(minutes=1):
        return "刚刚"
    if delta < timedelta(hours=1):
        return f"{int(delta.total_seconds() // 60)}分钟前"
    if delta < timedelta(hours=24) and local.date() == local_now.date():
        return f"{int(delta.total_seconds() // 3600)}小时前"
    if local.date() == local_now.date() - timedelta(days=1):
        return f"昨天 {local:%H:%M}"
    return f"{local:%m-%d %H:%M}"


def _html(title: str, body: str, charset: str) -> str:
    return (
        f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="{charset}"><title>{escape(title)}</title>'
        f"</head><body>{body}</body></html>"
    )


def list_page(section: str, page: int, started: datetime, now: datetime) -> Page:
    posts = visible(section, started, now)
    chunk = posts[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    if page > 1 and not chunk:
        return Page("页面不存在".encode(), "text/plain; charset=utf-8", 404)
    items = []
    for p in chunk:
        t = published_at(p, started)
        when = _relative(t, now) if section == "bbs" else f"{to_beijing(t):%Y-%m-%d %H:%M}"
        items.append(
            f'<li class="item"><a class="title" href="/{section}/post/{p.id}.html">{escape(p.title)}</a>'
            f' <span class="time">{escape(when)}</span></li>'
        )
    nav = ""
    if page * PAGE_SIZE < len(posts):
        nav = f'<a class="next" href="/{section}/list/{page + 1}.html">下一页</a>'
    body = f'<h1>{SECTIONS[section]}</h1><ul class="list">{"".join(items)}</ul><div class="pager">{nav}</div>'
    return _encode(_html(SECTIONS[section], body, _charset(section)), section)


def detail_page(section: str, post_id: int, started: datetime, now: datetime) -> Page:
    post = next((p for p in visible(section, started, now) if p.id == post_id), None)
    if post is None:
        return Page("页面不存在".encode(), "text/plain; charset=utf-8", 404)
    t = published_at(post, started)
    when = _relative(t, now) if section == "bbs" else f"{to_beijing(t):%Y-%m-%d %H:%M}"
    reply = ""
    if section == "board":
        reply_at = t + timedelta(minutes=post.reply_after_min)
        if post.reply_text and reply_at <= now:
            reply = (
                f'<div class="reply"><span class="reply-unit">{escape(post.reply_unit)}</span>'
                f'<span class="reply-time">{to_beijing(reply_at):%Y-%m-%d %H:%M}</span>'
                f'<div class="reply-text">{escape(post.reply_text)}</div></div>'
            )
        else:
            reply = '<div class="reply-pending">办理中</div>'
    body = (
        f'<div class="article"><h1 class="title">{escape(post.title)}</h1>'
        f'<div class="meta">发布时间：<span class="time">{escape(when)}</span> '
        f'作者：<span class="author">{escape(post.author)}</span></div>'
        f'<div class="content"><p>{escape(post.text)}</p></div>{reply}</div>'
    )
    charset = "gb2312" if post.id == GBK_POST_ID else _charset(section)
    return _encode(_html(post.title, body, charset), section, charset)


def _charset(section: str) -> str:
    return "gbk" if section == "bbs" else "utf-8"


def _encode(html: str, section: str, charset: str | None = None) -> Page:
    """The forum is GBK; one of its pages is labelled gb2312 while holding GBK-only characters (镕)."""
    label = charset or _charset(section)
    codec = "gb18030" if label in ("gbk", "gb2312") else "utf-8"
    return Page(html.encode(codec), f"text/html; charset={label}")


def robots() -> Page:
    return Page(b"User-agent: *\nAllow: /\n", "text/plain; charset=utf-8")


def index() -> Page:
    links = "".join(f'<li><a href="/{s}/list/1.html">{name}</a></li>' for s, name in SECTIONS.items())
    return Page(
        _html("临江回放站点", f"<h1>临江回放站点（内置演示数据）</h1><ul>{links}</ul>", "utf-8").encode(),
        "text/html; charset=utf-8",
    )
