from __future__ import annotations

import pytest

from alerts import (
    AlertEvent,
    RouteConfigError,
    escalation_targets,
    find_route,
    match_routes,
    routes_from_config,
)

CONFIG = [
    {"name": "全部新舆情", "channels": ["file"], "events": ["new_incident"]},
    {
        "name": "重大-值班群",
        "channels": ["duty_wecom"],
        "min_grade": "重大",
        "mention_mobiles": ["13800000001", "@all"],
    },
    {
        "name": "食药-市场监管局",
        "channels": ["smtp_market"],
        "categories": ["food_drug_safety"],
        "units": ["区市场监管局"],
        "escalate_to": ["牵头单位", "值班领导"],
    },
    {"name": "牵头单位", "channels": ["lead_dingtalk"], "events": ["daily_brief"]},
    {
        "name": "值班领导",
        "channels": ["leader_feishu"],
        "mention_mobiles": ["13900000002"],
        "events": ["daily_brief"],
    },
    {
        "name": "采集故障",
        "channels": ["console://"],
        "events": ["source_failure"],
        "regions": ["西湖区"],
        "min_grade": "",
    },
]
CHANNELS = {"file", "duty_wecom", "smtp_market", "lead_dingtalk", "leader_feishu"}


def names(routes: object) -> list[str]:
    return [r.name for r in routes]  # type: ignore[attr-defined]


@pytest.fixture
def routes() -> tuple:
    return routes_from_config(
        CONFIG, channel_names=CHANNELS, vocabularies={"categories": {"food_drug_safety", "education"}}
    )


def test_filters_and_empty_filters(routes: tuple) -> None:
    poison = AlertEvent(
        "new_incident", "重大", "food_drug_safety", "西湖区", ("区市场监管局", "区教育局"), ("食堂",)
    )
    assert names(match_routes(routes, poison)) == ["全部新舆情", "重大-值班群", "食药-市场监管局"]
    minor = AlertEvent("breach", "一般", "education", "西湖区", ("区教育局",))
    assert names(match_routes(routes, minor)) == []
    brief = AlertEvent("daily_brief")  # no grade: routes that filter on grade do not take it
    assert names(match_routes(routes, brief)) == ["牵头单位", "值班领导"]
    failure = AlertEvent("source_failure", region="西湖区")
    assert names(match_routes(routes, failure)) == ["采集故障"]
    assert match_routes(routes, AlertEvent("source_failure", region="上城区")) == []


def test_config_normalises(routes: tuple) -> None:
    duty = find_route(routes, "重大-值班群")
    assert duty.grades == ("重大", "特别重大") and duty.mention_mobiles == ("13800000001", "all")


def test_escalation_ladder(routes: tuple) -> None:
    event = AlertEvent("escalation", "较大", "food_drug_safety", "西湖区", ("区市场监管局",))
    assert names(escalation_targets(0, routes, event)) == ["食药-市场监管局"]
    assert names(escalation_targets(1, routes, event)) == ["食药-市场监管局", "牵头单位"]
    assert names(escalation_targets(2, routes, event)) == ["食药-市场监管局", "牵头单位", "值班领导"]
    assert names(escalation_targets(5, routes, event)) == ["食药-市场监管局", "牵头单位", "值班领导"]
    assert names(escalation_targets(2, routes, event, cumulative=False)) == ["值班领导"]
    major = AlertEvent("escalation", "重大", "food_drug_safety", None, ("区市场监管局",))
    # A route without a ladder keeps receiving every stage.
    assert names(escalation_targets(2, routes, major)) == [
        "重大-值班群",
        "食药-市场监管局",
        "牵头单位",
        "值班领导",
    ]


def test_find_route_lists_known_names(routes: tuple) -> None:
    with pytest.raises(RouteConfigError, match="找不到名为“夜班”的预警路由；已配置：全部新舆情、"):
        find_route(routes, "夜班")


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"channels": ["file"]}, "缺少必填项 name"),
        ({"name": "a"}, r"（a） 缺少必填项 channels"),
        ({"name": "a", "channels": []}, "channels 不能为空"),
        ({"name": "a", "channels": "file"}, "channels 应为非空字符串列表"),
        ({"name": "a", "channels": ["nosuch"]}, "channels：未知的值“nosuch”"),
        ({"name": "a", "channels": ["file"], "events": ["incident"]}, "events：未知的值“incident”"),
        ({"name": "a", "channels": ["file"], "grades": ["严重"]}, "grades：未知的值“严重”"),
        ({"name": "a", "channels": ["file"], "min_grade": "很大"}, "min_grade 应为以下之一"),
        ({"name": "a", "channels": ["file"], "grades": ["重大"], "min_grade": "重大"}, "不能同时设置"),
        ({"name": "a", "channels": ["file"], "categories": ["food"]}, "categories：未知的值“food”"),
        (
            {"name": "a", "channels": ["file"], "mention_mobiles": ["12345"]},
            "mention_mobiles 有无效值“12345”",
        ),
        ({"name": "a", "channels": ["file"], "grade": ["重大"]}, "未知配置项“grade”"),
        ({"name": "a", "channels": ["file"], "escalate_to": ["b"]}, "escalate_to 引用了不存在"),
        ({"name": "a", "channels": ["file"], "escalate_to": ["a"]}, "escalate_to 引用了不存在或自身"),
        ("not a table", "第1条 应为一个表"),
    ],
)
def test_config_errors_name_the_key(item: object, message: str) -> None:
    with pytest.raises(RouteConfigError, match=message):
        routes_from_config([item], channel_names={"file"}, vocabularies={"categories": {"food_drug_safety"}})


def test_duplicate_names_and_bad_shape() -> None:
    with pytest.raises(RouteConfigError, match="路由名称重复：a"):
        routes_from_config([{"name": "a", "channels": ["x"]}, {"name": "a", "channels": ["y"]}])
    with pytest.raises(RouteConfigError, match=r"\[\[alerts.routes\]\]"):
        routes_from_config({"name": "a"})
    assert routes_from_config(None) == ()


def test_event_validation() -> None:
    with pytest.raises(ValueError, match="未知的预警事件类型"):
        AlertEvent("incident")
    with pytest.raises(ValueError, match="负数"):
        AlertEvent("escalation", stage=-1)
