from __future__ import annotations

import pytest

from analysis.query import QuerySyntaxError, parse


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("(食堂 OR 学校) AND (中毒 OR 腹泻) NOT 演习", "某学校食堂发生集体腹泻", True),
        ("(食堂 OR 学校) AND (中毒 OR 腹泻) NOT 演习", "学校食堂中毒应急演习", False),
        ("(食堂 OR 学校) AND (中毒 OR 腹泻) NOT 演习", "学校组织春游", False),
        ("食堂 中毒", "食堂疑似中毒", True),  # implicit AND
        ("食堂 中毒", "食堂很好", False),
        ("食堂 或 学校 且 中毒", "学校中毒", True),  # AND binds tighter than OR
        ("食堂 或 学校 且 中毒", "食堂", True),
        ("食堂 或 学校 且 中毒", "学校", False),
        ("食堂 非 演习", "食堂演习", False),
        ("非法集资", "涉嫌非法集资", True),  # 非 inside a word is not an operator
        ("积水 -演习", "道路积水", True),
        ("积水 -演习", "积水演习", False),
        ("NOT 演习", "道路积水", True),
        ('"道路 积水"', "道路 积水 严重", True),
        ('"道路 积水"', "道路积水严重", False),
        ("“拖欠 工资”", "拖欠 工资", True),
        ("covid-19", "COVID-19 疫情", True),  # '-' inside a word is part of it
        ("AI", "said nothing", False),  # ASCII terms match whole words only
        ("AI", "AI 客服答非所问", True),
        ("A & B | C", "c", True),
    ],
)
def test_matching(query: str, text: str, expected: bool) -> None:
    assert parse(query).matches(text) is expected


def test_matching_is_on_normalised_text() -> None:
    q = parse("拖欠 工资 APP")
    assert q.matches("某公司拖欠員工工資，ＡＰＰ也打不开")  # traditional, full width, case
    assert q.matches("拖\u200b欠工资 app")  # zero-width inside a term
    assert parse("學校 AND 中毒").matches("学校中毒")  # the query is normalised too


def test_terms_in_order_without_duplicates() -> None:
    assert parse("(食堂 OR 学校) 中毒 NOT 演习 OR 食堂").terms == ("食堂", "学校", "中毒", "演习")


@pytest.mark.parametrize(
    ("query", "position", "message"),
    [
        ("", 0, "查询为空"),
        ("   ", 0, "查询为空"),
        ("(食堂 OR 学校 AND 中毒", 0, "缺少右括号"),
        ("食堂 OR", 3, "“OR”后缺少检索词"),
        ("AND 中毒", 0, "“AND”前后缺少检索词"),
        ("食堂)", 2, "多余的右括号"),
        ("食堂 (中毒 OR 腹泻))", 13, "多余的右括号"),
        ("()", 0, "括号中没有内容"),
        ('学校 "中毒', 3, "引号没有闭合"),
        ('学校 ""', 3, "引号中没有内容"),
        ("学校 且 (中毒 或 ) 腹泻", 9, "“或”后缺少检索词"),
    ],
)
def test_syntax_errors_point_at_the_position(query: str, position: int, message: str) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse(query)
    assert info.value.position == position
    assert message in info.value.message_zh


def test_error_text_shows_the_query_with_a_caret() -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse("学校 且 (中毒 或 ) 腹泻")
    lines = str(info.value).splitlines()
    assert lines[0].startswith("查询语法错误：") and "第 10 个字符" in lines[0]
    assert lines[1] == "  学校 且 (中毒 或 ) 腹泻"
    # CJK characters are two columns wide: the caret sits under 或
    assert lines[2] == "  " + " " * 14 + "^"
