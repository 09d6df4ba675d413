"""Alert text in Chinese: short, actionable, Markdown that WeCom, DingTalk and Feishu all render.

Everything that comes from outside (incident titles are post titles from the public internet) goes
through :func:`md_escape`: a title such as ``<at id=all></at>`` must not ping a whole Feishu group,
and ``[点我](http://…)`` must not become a link in an official alert.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

KIND_LABELS: dict[str, str] = {
    "new_incident": "新舆情",
    "grade_change": "等级调整",
    "warning": "即将到期",
    "breach": "已超时",
    "escalation": "升级督办",
    "commitment_due": "承诺即将到期",
    "commitment_overdue": "承诺已逾期",
    "source_failure": "采集异常",
    "daily_brief": "每日简报",
    "calendar": "日历提醒",
    "test": "测试消息",
}

_ESCAPES = str.maketrans({"<": "＜", ">": "＞", "[": "［", "]": "］", "*": "＊", "`": "｀", "#": "＃"})


def md_escape(text: str) -> str:
    """One line of outside text made inert: no Markdown, no HTML-ish tags, no line breaks."""
    return " ".join(text.translate(_ESCAPES).split())


def safe_link(url: str) -> str:
    """A URL that cannot break out of Markdown link syntax ``[text](url)``."""
    return url.strip().replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def humanize_delta(seconds: float) -> str:
    """A duration in Chinese: 4320 → "1小时12分", -7500 → "已超时2小时5分", 200000 → "2天7小时".

    Rounded down, so the time left is never overstated.
    """
    overdue = seconds < 0
    total_min = int(abs(seconds) // 60)
    days, rest = divmod(total_min, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        text = f"{days}天{hours}小时" if hours else f"{days}天"
    elif hours:
        text = f"{hours}小时{minutes}分" if minutes else f"{hours}小时"
    elif minutes:
        text = f"{minutes}分钟"
    else:
        text = "不足1分钟"
    return f"已超时{text}" if overdue else text


def deadline_phrase(deadline_label: str, seconds_left: float) -> str:
    """ "距5小时权威发布时限还剩1小时12分" or "5小时权威发布时限已超时2小时5分"."""
    if seconds_left < 0:
        return f"{deadline_label}{humanize_delta(seconds_left)}"
    return f"距{deadline_label}还剩{humanize_delta(seconds_left)}"


def alert_title(kind: str, grade_name: str | None, title: str) -> str:
    """ "【舆情预警·重大】某小学食堂疑似食物中毒", with the event type for anything but a new incident."""
    head = "【舆情预警·" + md_escape(grade_name) + "】" if grade_name else "【舆情预警】"
    label = "" if kind == "new_incident" else KIND_LABELS.get(kind, kind) + "："
    return f"{head}{label}{md_escape(title)}"


def format_alert(
    kind: str,
    grade_name: str | None,
    title: str,
    category_name: str | None,
    first_post_at: str | None,
    next_deadline_label: str | None,
    deadline_at: str | None,
    seconds_left: float | None,
    unit: str | None,
    link: str | None,
    *,
    extra_lines: Sequence[str] = (),
) -> tuple[str, str]:
    """Title and Markdown body of an incident alert (new incident, grade change, warning, breach,
    escalation). ``next_deadline_label`` names the window ("5小时权威发布时限"); times are local strings
    ("2026-06-17 08:30"); ``seconds_left`` is negative once the deadline has passed. Empty fields are
    left out rather than shown as "无".
    """
    lines = [f"**事件**：{md_escape(title)}"]
    if kind != "new_incident":
        lines.append(f"**类型**：{KIND_LABELS.get(kind, kind)}")
    if category_name:
        lines.append(f"**分类**：{md_escape(category_name)}")
    if first_post_at:
        lines.append(f"**首发时间**：{md_escape(first_post_at)}")
    if next_deadline_label:
        due = f"（截止 {md_escape(deadline_at)}）" if deadline_at else ""
        lines.append(f"**下一时限**：{md_escape(next_deadline_label)}{due}")
        if seconds_left is not None:
            lines.append(f"> {deadline_phrase(md_escape(next_deadline_label), seconds_left)}")
    if unit:
        lines.append(f"**责任单位**：{md_escape(unit)}")
    lines.extend(md_escape(line) for line in extra_lines)
    if link:
        lines.append(f"[查看详情并登记回应]({safe_link(link)})")
    return alert_title(kind, grade_name, title), "\n".join(lines)


def format_commitment(
    kind: str,
    content: str,
    incident_title: str,
    unit: str | None,
    due_at: str,
    seconds_left: float,
    link: str | None,
) -> tuple[str, str]:
    """A commitment made in a response ("30日内完成整改") that is due soon or overdue."""
    title = f"【承诺{'逾期' if seconds_left < 0 else '将到期'}】{md_escape(content)}"
    lines = [
        f"**承诺内容**：{md_escape(content)}",
        f"**所属事件**：{md_escape(incident_title)}",
        f"**承诺时限**：{md_escape(due_at)}",
        f"> {deadline_phrase('承诺时限', seconds_left)}",
    ]
    if unit:
        lines.append(f"**责任单位**：{md_escape(unit)}")
    if link:
        lines.append(f"[登记落实情况]({safe_link(link)})")
    return title, "\n".join(lines)


def format_source_failure(
    source_name: str, error: str, failures: int, last_ok_at: str | None, link: str | None
) -> tuple[str, str]:
    """A source that failed N times in a row: silence from a source is not "no news"."""
    lines = [
        f"**采集源**：{md_escape(source_name)}",
        f"**连续失败**：{failures}次",
        f"**最近错误**：{md_escape(error)}",
        f"**上次成功**：{md_escape(last_ok_at) if last_ok_at else '从未成功'}",
    ]
    if link:
        lines.append(f"[查看采集源状态]({safe_link(link)})")
    return f"【采集异常】{md_escape(source_name)}连续失败{failures}次", "\n".join(lines)


def format_notice(kind: str, title: str, lines: Sequence[str], link: str | None = None) -> tuple[str, str]:
    """Daily brief, calendar reminder and other plain notices: the lines are shown as a list."""
    body = [f"- {md_escape(line)}" for line in lines]
    if link:
        body.append(f"[打开系统]({safe_link(link)})")
    return f"【{KIND_LABELS.get(kind, kind)}】{md_escape(title)}", "\n".join(body)


def format_test(route_name: str, channel_description: str, sent_at: str) -> tuple[str, str]:
    """What `yuqing alerts test ROUTE` sends: says which route and channel, so a group knows why."""
    body = "\n".join(
        [
            f"**路由**：{md_escape(route_name)}",
            f"**渠道**：{md_escape(channel_description)}",
            f"**发送时间**：{md_escape(sent_at)}",
            "收到本消息说明预警渠道配置正确，无需处理。",
        ]
    )
    return f"【舆情预警·测试】{md_escape(route_name)}", body


_LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]*)\)")


def markdown_to_text(markdown: str) -> str:
    """Plain text for e-mail, the console and WeCom's text messages (the only kind that can @mobile)."""
    out = []
    for line in markdown.splitlines():
        line = re.sub(r"^#{1,6}\s+", "", line)
        line = re.sub(r"^>\s?", "", line)
        line = _LINK.sub(lambda m: f"{m.group(1)}：{m.group(2)}", line)
        out.append(line.replace("**", ""))
    return "\n".join(out)


TRUNCATED = "\n……（内容过长，已截断，请在系统中查看全文）"


def truncate_utf8(text: str, max_bytes: int | None, suffix: str = TRUNCATED) -> str:
    """Cut ``text`` so that its UTF-8 encoding fits ``max_bytes``, never inside a character."""
    if max_bytes is None or len(text.encode("utf-8")) <= max_bytes:
        return text
    room = max(0, max_bytes - len(suffix.encode("utf-8")))
    if room == 0:  # not even the note fits: cut the note itself
        return suffix.encode("utf-8")[:max_bytes].decode("utf-8", errors="ignore")
    return text.encode("utf-8")[:room].decode("utf-8", errors="ignore") + suffix
