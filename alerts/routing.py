"""Which routes (and so which channels) an alert event goes to: ``[[alerts.routes]]`` in yuqing.toml.

A route's filters are ANDed; inside one filter the values are ORed; an empty filter matches
everything. A non-empty filter needs the event to carry that attribute: a route limited to
``grades = ["重大"]`` does not get a daily brief (which has no grade).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace

EVENT_KINDS: frozenset[str] = frozenset(
    {
        "new_incident",
        "grade_change",
        "warning",
        "breach",
        "escalation",
        "commitment_due",
        "commitment_overdue",
        "source_failure",
        "daily_brief",
        "calendar",
        "test",
    }
)
DEFAULT_GRADES: tuple[str, ...] = ("一般", "较大", "重大", "特别重大")


class RouteConfigError(ValueError):
    """A bad ``[[alerts.routes]]`` entry; the Chinese message names the route and the key."""


@dataclass(frozen=True)
class AlertEvent:
    """What happened, described by the attributes routes filter on. ``stage`` is the escalation
    stage of an obligation: 0 the responsible unit, 1 the lead unit, 2 the duty leader, …"""

    kind: str
    grade: str | None = None
    category: str | None = None
    region: str | None = None
    units: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    stage: int = 0

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise ValueError(f"未知的预警事件类型“{self.kind}”，可选：{'、'.join(sorted(EVENT_KINDS))}")
        if self.stage < 0:
            raise ValueError(f"升级阶段不能为负数：{self.stage}")


@dataclass(frozen=True)
class Route:
    name: str
    channels: tuple[str, ...]
    events: tuple[str, ...] = ()
    grades: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    mention_mobiles: tuple[str, ...] = ()
    # Route names, one per escalation stage: stage 1 → escalate_to[0], stage 2 → escalate_to[1], …
    escalate_to: tuple[str, ...] = ()

    def matches(self, event: AlertEvent) -> bool:
        return (
            _one(self.events, event.kind)
            and _one(self.grades, event.grade)
            and _one(self.categories, event.category)
            and _one(self.regions, event.region)
            and _any(self.units, event.units)
            and _any(self.topics, event.topics)
        )


def _one(allowed: tuple[str, ...], value: str | None) -> bool:
    return not allowed or (value is not None and value in allowed)


def _any(allowed: tuple[str, ...], values: tuple[str, ...]) -> bool:
    return not allowed or any(v in allowed for v in values)


def match_routes(routes: Iterable[Route], event: AlertEvent) -> list[Route]:
    """Routes whose filters all accept ``event``, in configuration order."""
    return [route for route in routes if route.matches(event)]


def find_route(routes: Iterable[Route], name: str) -> Route:
    """The route called ``name`` (for `yuqing alerts test ROUTE`), or a Chinese error listing them."""
    routes = list(routes)
    for route in routes:
        if route.name == name:
            return route
    known = "、".join(r.name for r in routes) or "（未配置任何路由）"
    raise RouteConfigError(f"找不到名为“{name}”的预警路由；已配置：{known}")


def escalation_targets(
    stage: int, routes: Sequence[Route], event: AlertEvent, *, cumulative: bool = True
) -> list[Route]:
    """The routes an obligation at escalation ``stage`` is sent to.

    The base routes are those matching ``event`` (build it with ``kind="escalation"``, so routes
    that take escalations opt in through ``events``). Stage 0 is the base routes themselves. At stage
    n a base route with a ladder ``escalate_to = ["牵头单位", "值班领导"]`` adds the rungs up to n (only
    rung n with ``cumulative=False``); past the top the top rung keeps being used. The targets' own
    filters are not applied: the ladder says who must know. Each route appears once.
    """
    if stage < 0:
        raise ValueError(f"升级阶段不能为负数：{stage}")
    by_name = {r.name: r for r in routes}
    targets: dict[str, Route] = {}
    for base in match_routes(routes, replace(event, stage=stage)):
        ladder = [by_name[n] for n in base.escalate_to if n in by_name]
        if stage == 0 or not ladder:
            chain = [base]
        else:
            top = min(stage, len(ladder))
            chain = [base, *ladder[:top]] if cumulative else [ladder[top - 1]]
        for route in chain:
            targets.setdefault(route.name, route)
    return list(targets.values())


def grades_at_least(min_grade: str, grade_order: Sequence[str] = DEFAULT_GRADES) -> tuple[str, ...]:
    """ "重大" → ("重大", "特别重大"): what ``min_grade`` in a route expands to."""
    order = list(grade_order)
    if min_grade not in order:
        raise ValueError(f"未知等级“{min_grade}”，可选：{'、'.join(order)}")
    return tuple(order[order.index(min_grade) :])


def check_values(where: str, key: str, values: Sequence[str], known: Collection[str] | None) -> None:
    """Reject values not in ``known`` (when the caller knows the vocabulary) naming the key."""
    if known is None:
        return
    bad = [v for v in values if v not in known]
    if bad:
        ordered = list(known) if isinstance(known, Sequence) else sorted(known)  # grades keep their order
        shown = "、".join(ordered) if len(ordered) <= 30 else f"共{len(ordered)}项，见配置文档"
        raise RouteConfigError(f"{where} 的 {key}：未知的值“{'、'.join(bad)}”；可选：{shown}")
