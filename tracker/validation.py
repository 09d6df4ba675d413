"""Cross-field checks of the loaded settings. Each failure names the key and what is expected."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlparse

from analysis.query import QuerySyntaxError, parse
from analysis.taxonomy import CATEGORIES, grade_code
from tracker.errors import ConfigError
from tracker.settings_schema import Settings

ErrorFactory = Callable[[str, str], ConfigError]

BASES = ("first_post", "detected", "graded")
_INTERVAL = re.compile(r"^\s*(\d+)\s*(s|m|h|d|秒|分钟|小时|天)?\s*$")
_UNIT_SECONDS = {
    None: 60,
    "s": 1,
    "秒": 1,
    "m": 60,
    "分钟": 60,
    "h": 3600,
    "小时": 3600,
    "d": 86400,
    "天": 86400,
}


def interval_seconds(spec: str) -> int:
    """'10m' -> 600. A bare number is minutes. Raises ValueError."""
    match = _INTERVAL.match(spec)
    if not match or int(match.group(1)) <= 0:
        raise ValueError(spec)
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def _is_http(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme in ("http", "https") and bool(parsed.netloc)


def check_settings(s: Settings, err: ErrorFactory) -> None:
    _check_database(s, err)
    _check_sources(s, err)
    _check_topics_units(s, err)
    _check_policy(s, err)
    _check_alerts(s, err)
    if s.crawl.runner not in ("local", "scrapyd"):
        raise err("crawl.runner", f"应为 local 或 scrapyd，实际是 {s.crawl.runner!r}")
    if s.crawl.runner == "scrapyd" and not s.crawl.scrapyd_nodes:
        raise err("crawl.scrapyd_nodes", "runner = scrapyd 时至少需要一个 Scrapyd 节点地址")
    for i, node in enumerate(s.crawl.scrapyd_nodes):
        if not _is_http(node):
            raise err(f"crawl.scrapyd_nodes[{i}]", f"不是有效的网址：{node!r}")
    if not _is_http(s.web.base_url):
        raise err("web.base_url", f"不是有效的网址：{s.web.base_url!r}")
    if not 0 < s.web.port < 65536:
        raise err("web.port", "端口应在 1–65535 之间")


def _check_database(s: Settings, err: ErrorFactory) -> None:
    scheme = urlparse(s.database.url).scheme
    if not (scheme.startswith("sqlite") or scheme.startswith("postgresql")):
        raise err("database.url", f"应为 sqlite:///… 或 postgresql+psycopg://…，实际是 {s.database.url!r}")


def _check_sources(s: Settings, err: ErrorFactory) -> None:
    seen: set[str] = set()
    for i, src in enumerate(s.sources):
        key = f"sources[{i}]"
        if src.name in seen:
            raise err(f"{key}.name", f"来源名称重复：{src.name}")
        seen.add(src.name)
        if src.kind != "replay":
            urls = [src.url, *src.urls] if src.url else list(src.urls)
            if not urls:
                raise err(f"{key}.url", "需要 url 或 urls")
            for url in urls:
                if not _is_http(url):
                    raise err(f"{key}.url", f"不是有效的网址（应以 http:// 或 https:// 开头）：{url!r}")
        try:
            interval_seconds(src.interval)
        except ValueError:
            raise err(f"{key}.interval", f"应为时间间隔，如 5m、1h，实际是 {src.interval!r}") from None
        if src.reply_days <= 0:
            raise err(f"{key}.reply_days", "应为正整数")


def _check_topics_units(s: Settings, err: ErrorFactory) -> None:
    unit_names = {u.name for u in s.units}
    for i, unit in enumerate(s.units):
        if unit.parent and unit.parent not in unit_names:
            raise err(f"units[{i}].parent", f"上级单位 {unit.parent!r} 未在 [[units]] 中定义")
        for code in unit.categories:
            if code not in CATEGORIES:
                raise err(f"units[{i}].categories", f"未知的分类代码 {code!r}")
    for i, topic in enumerate(s.topics):
        for name in topic.units:
            if name not in unit_names:
                raise err(f"topics[{i}].units", f"单位 {name!r} 未在 [[units]] 中定义")
        try:
            parse(topic.query)
        except QuerySyntaxError as exc:
            raise err(
                f"topics[{i}].query", f"检索式有误：{exc.message_zh}（第 {exc.position + 1} 个字符）"
            ) from None


def _check_policy(s: Settings, err: ErrorFactory) -> None:
    from tracker.durations import DurationError, parse_within

    for j, frac in enumerate(s.policy.warn_fractions):
        if not 0 < frac < 1:
            raise err(f"policy.warn_fractions[{j}]", "应为 0 到 1 之间的比例，如 0.6")
    if not re.match(r"^([01]\d|2[0-4]):[0-5]\d$", s.policy.office_close):
        raise err("policy.office_close", f"应为 HH:MM，如 17:30 或 24:00，实际是 {s.policy.office_close!r}")
    try:
        grade_code(s.policy.auto_grade_min)
    except ValueError as exc:
        raise err("policy.auto_grade_min", str(exc)) from None
    for i, rule in enumerate(s.policy.rules):
        key = f"policy.rules[{i}]"
        for g in rule.grades:
            try:
                grade_code(g)
            except ValueError as exc:
                raise err(f"{key}.grades", str(exc)) from None
        for code in rule.categories:
            if code not in CATEGORIES:
                raise err(f"{key}.categories", f"未知的分类代码 {code!r}")
        if not rule.milestones:
            raise err(f"{key}.milestones", "至少需要一个时限节点")
        for j, m in enumerate(rule.milestones):
            if m.basis not in BASES:
                raise err(f"{key}.milestones[{j}].basis", f"应为 {'/'.join(BASES)}，实际是 {m.basis!r}")
            try:
                parse_within(m.within)
            except DurationError as exc:
                raise err(f"{key}.milestones[{j}].within", str(exc)) from None


def _check_alerts(s: Settings, err: ErrorFactory) -> None:
    import os

    from alerts.channels import ChannelConfigError, make_channel
    from alerts.route_config import routes_from_config
    from alerts.routing import RouteConfigError

    for name, table in s.alerts.channels.items():
        if not isinstance(table, dict):
            raise err(f"alerts.channels.{name}", '应为表，如 [alerts.channels.值班群] url = "wecom://"')
        try:
            from alerts.channels import make_channel_from_config

            make_channel_from_config(name, table, os.environ)
        except ChannelConfigError as exc:
            if "环境变量" not in str(exc):  # a missing secret disables the channel; anything else is an error
                raise err(f"alerts.channels.{name}", str(exc)) from None
    for i, route in enumerate(s.alerts.routes):
        for channel in route.channels:
            if "://" in channel:
                try:
                    make_channel(channel)
                except ChannelConfigError as exc:
                    raise err(f"alerts.routes[{i}].channels", str(exc)) from None
            elif channel not in s.alerts.channels:
                raise err(
                    f"alerts.routes[{i}].channels",
                    f"未定义的渠道“{channel}”（请在 [alerts.channels.{channel}] 中配置）",
                )
    try:
        routes_from_config(route_dicts(s), vocabularies={"categories": set(CATEGORIES)})
    except RouteConfigError as exc:
        raise err("alerts.routes", str(exc)) from None


def route_dicts(s: Settings) -> list[dict[str, object]]:
    """Routes as the alerts package reads them: grades by name, empty keys left out."""
    out: list[dict[str, object]] = []
    for r in s.alerts.routes:
        item: dict[str, object] = {k: v for k, v in vars(r).items() if v not in ("", [], None)}
        if r.grades:
            item["grades"] = [_grade_name(g) for g in r.grades]
        if r.min_grade:
            item["min_grade"] = _grade_name(r.min_grade)
        out.append(item)
    return out


def _grade_name(value: str) -> str:
    from analysis.taxonomy import GRADES

    try:
        return GRADES[grade_code(value)]
    except ValueError:
        return value  # reported by the alerts package with the list of valid grades
