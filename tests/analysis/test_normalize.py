from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from analysis.normalize import fold, normalize, to_simplified


def test_full_width_becomes_half_width() -> None:
    assert normalize("ＡＰＰ　１２３４５热线") == "APP 12345热线"


def test_zero_width_and_control_characters_are_removed() -> None:
    assert normalize("积\u200b水\u200d严\ufeff重\x07") == "积水严重"


def test_whitespace_collapses_and_strips() -> None:
    assert normalize("  道路 \t\n 积水  ") == "道路 积水"


def test_traditional_becomes_simplified() -> None:
    assert normalize("某公司拖欠員工工資已經三個月") == "某公司拖欠员工工资已经三个月"
    assert to_simplified("紅綠燈時間設置不合理") == "红绿灯时间设置不合理"


def test_simplified_only_characters_are_untouched() -> None:
    # 著/乾 are also valid simplified characters and must not be rewritten.
    assert normalize("著名的乾隆年间古建筑") == "著名的乾隆年间古建筑"


def test_fold_lowercases() -> None:
    assert fold("ＰＭ2.5 超标") == "pm2.5 超标"


def test_empty() -> None:
    assert normalize("") == ""
    assert normalize(" \u200b ") == ""


@given(st.text())
def test_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once
