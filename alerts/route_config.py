"""Build and validate :class:`Route` objects from the ``[[alerts.routes]]`` tables of yuqing.toml.

The caller (the tracker's config layer) passes the parsed TOML list plus whatever vocabularies it
knows (channel names, category codes, unit names…); a value outside a given vocabulary is an error
naming the route and the key, so a typo does not silently route nothing.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from alerts.routing import (
    DEFAULT_GRADES,
    EVENT_KINDS,
    Route,
    RouteConfigError,
    check_values,
    grades_at_least,
)

ROUTE_KEYS = frozenset(
    {
        "name",
        "channels",
        "events",
        "grades",
        "min_grade",
        "categories",
        "regions",
        "units",
        "topics",
        "mention_mobiles",
        "escalate_to",
    }
)
# A mainland mobile number, "all" (everyone in the group) or a Feishu open_id (飞书只能按 open_id @人).
_MENTION = re.compile(r"^(1\d{10}|all|ou_[0-9A-Za-z_]+)$")


def _strings(where: str, key: str, value: Any, *, required: bool = False) -> tuple[str, ...]:
    if value is None:
        if required:
            raise RouteConfigError(f"{where} 缺少必填项 {key}")
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise RouteConfigError(f'{where} 的 {key} 应为非空字符串列表，例如 {key} = ["…"]')
    if required and not value:
        raise RouteConfigError(f"{where} 的 {key} 不能为空")
    return tuple(dict.fromkeys(v.strip() for v in value))


def _mentions(where: str, value: Any) -> tuple[str, ...]:
    mentions = tuple(m.removeprefix("@") for m in _strings(where, "mention_mobiles", value))
    bad = [m for m in mentions if not _MENTION.match(m)]
    if bad:
        raise RouteConfigError(
            f"{where} 的 mention_mobiles 有无效值“{'、'.join(bad)}”："
            "应为11位手机号、all（全体）或飞书 open_id（ou_开头）"
        )
    return mentions


def _grades(where: str, item: Mapping[str, Any], grade_order: Sequence[str]) -> tuple[str, ...]:
    grades = _strings(where, "grades", item.get("grades"))
    check_values(where, "grades", grades, grade_order)
    min_grade = item.get("min_grade")
    if min_grade in (None, ""):
        return grades
    if grades:
        raise RouteConfigError(f"{where} 不能同时设置 grades 和 min_grade，请只保留一个")
    if not isinstance(min_grade, str) or min_grade not in grade_order:
        raise RouteConfigError(f"{where} 的 min_grade 应为以下之一：{'、'.join(grade_order)}")
    return grades_at_least(min_grade, grade_order)


def route_from_config(
    where: str,
    item: Any,
    *,
    channel_names: Collection[str] | None = None,
    grade_order: Sequence[str] = DEFAULT_GRADES,
    vocabularies: Mapping[str, Collection[str]] | None = None,
) -> Route:
    """One route. ``vocabularies`` may hold known values for "categories", "regions", "units",
    "topics"; keys without a vocabulary accept any string."""
    if not isinstance(item, Mapping):
        raise RouteConfigError(f"{where} 应为一个表（[[alerts.routes]]）")
    unknown = sorted(set(item) - ROUTE_KEYS)
    if unknown:
        raise RouteConfigError(
            f"{where} 有未知配置项“{'、'.join(unknown)}”；可用：{'、'.join(sorted(ROUTE_KEYS))}"
        )
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        raise RouteConfigError(f"{where} 缺少必填项 name（路由名称）")
    where = f"{where}（{name.strip()}）"
    channels = _strings(where, "channels", item.get("channels"), required=True)
    # Inline URLs ("console://", "file://…") need no [alerts.channels] entry; make_channel checks them.
    named = [c for c in channels if "://" not in c]
    check_values(where, "channels", named, channel_names)
    events = _strings(where, "events", item.get("events"))
    check_values(where, "events", events, EVENT_KINDS)
    filters: dict[str, tuple[str, ...]] = {}
    for key in ("categories", "regions", "units", "topics"):
        filters[key] = _strings(where, key, item.get(key))
        check_values(where, key, filters[key], (vocabularies or {}).get(key))
    return Route(
        name=name.strip(),
        channels=channels,
        events=events,
        grades=_grades(where, item, grade_order),
        mention_mobiles=_mentions(where, item.get("mention_mobiles")),
        escalate_to=_strings(where, "escalate_to", item.get("escalate_to")),
        **filters,
    )


def routes_from_config(
    items: Any,
    *,
    channel_names: Collection[str] | None = None,
    grade_order: Sequence[str] = DEFAULT_GRADES,
    vocabularies: Mapping[str, Collection[str]] | None = None,
    where: str = "alerts.routes",
) -> tuple[Route, ...]:
    """All routes, checked together: unique names and ``escalate_to`` naming existing routes."""
    if items is None:
        return ()
    if not isinstance(items, list):
        raise RouteConfigError(f"{where} 应写成 [[alerts.routes]] 表数组")
    routes = [
        route_from_config(
            f"{where} 第{i}条",
            item,
            channel_names=channel_names,
            grade_order=grade_order,
            vocabularies=vocabularies,
        )
        for i, item in enumerate(items, 1)
    ]
    names = [r.name for r in routes]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise RouteConfigError(f"{where} 路由名称重复：{'、'.join(dupes)}")
    for route in routes:
        bad = [n for n in route.escalate_to if n not in names or n == route.name]
        if bad:
            raise RouteConfigError(
                f"{where}（{route.name}）的 escalate_to 引用了不存在或自身的路由“{'、'.join(bad)}”"
            )
    return tuple(routes)
