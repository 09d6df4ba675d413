from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.simhash import (
    SimHashIndex,
    bands,
    from_signed64,
    hamming,
    simhash,
    strip_reposts,
    to_signed64,
)

ORIGINAL = (
    "城东某小学食堂午餐后多名学生出现呕吐腹泻症状，已送医治疗，家长要求教育局和市场监管部门彻查食材来源"
)
REPOSTS = [
    "转发：" + ORIGINAL,
    "转发微博 " + ORIGINAL,
    "【转】" + ORIGINAL,
    ORIGINAL + "😡😡😡",
    ORIGINAL.replace("，", " ").replace("。", "") + "！！！",
    "//@本地热点:" + ORIGINAL,
    "回复@某网友:" + ORIGINAL + "[怒]",
    ORIGINAL.replace("小学", "小學").replace("学生", "學生"),  # traditional characters
    ORIGINAL + " #本地新闻# #食品安全#",  # hashtags added by the reposter
    "网友爆料：" + ORIGINAL,  # a short leading label
]
# Edits that change the words themselves move a short text's hash by several bits (SimHash votes over
# ~25 words); they stay far closer than a different complaint, but not always within 3.
WORD_EDITS = [ORIGINAL + "，求扩散", ORIGINAL.replace("多名", "十多名"), ORIGINAL.replace("城东", "城东区")]
DIFFERENT = [
    "城东某小学门口道路积水严重，学生上下学只能蹚水，家长要求市政部门尽快疏通排水管道",
    "某建筑公司拖欠农民工工资共计36万元，多次讨要无果，劳动监察大队让我们去法院起诉",
    "城西某中学食堂饭菜价格上涨，学生家长反映饭菜分量减少，要求学校公开食堂收支账目",
    "小区旁边的化工厂每天晚上偷排废气，味道刺鼻，熏得人头疼睡不着，投诉多次没有效果",
]


@pytest.mark.parametrize("repost", REPOSTS)
def test_reposts_with_small_edits_are_near_duplicates(repost: str) -> None:
    assert hamming(simhash(ORIGINAL), simhash(repost)) <= 3


@pytest.mark.parametrize("edited", WORD_EDITS)
def test_word_edits_stay_much_closer_than_other_complaints(edited: str) -> None:
    near = hamming(simhash(ORIGINAL), simhash(edited))
    assert 0 < near <= 10
    assert all(hamming(simhash(edited), simhash(other)) >= 2 * near for other in DIFFERENT)


@pytest.mark.parametrize("other", DIFFERENT)
def test_different_complaints_are_not(other: str) -> None:
    assert hamming(simhash(ORIGINAL), simhash(other)) > 3


def test_different_complaints_are_pairwise_apart() -> None:
    hashes = [simhash(t) for t in DIFFERENT]
    assert all(hamming(a, b) > 3 for i, a in enumerate(hashes) for b in hashes[i + 1 :])


def test_strip_reposts_keeps_ordinary_words() -> None:
    assert strip_reposts("转发：道路积水") == "道路积水"
    assert strip_reposts("转发微博 网友爆料：道路积水") == "道路积水"
    assert strip_reposts("转让房屋一套") == "转让房屋一套"  # 转 without a colon is a word


def test_empty_and_symbol_only_texts_hash_to_zero() -> None:
    assert simhash("") == 0
    assert simhash("😡😡！！ \u200b") == 0


def test_hash_is_unsigned_64_bit_and_stable() -> None:
    h = simhash(ORIGINAL)
    assert 0 <= h < 2**64
    assert simhash(ORIGINAL) == h


@given(st.integers(0, 2**64 - 1), st.sets(st.integers(0, 63), max_size=3))
def test_within_distance_three_shares_a_band(h: int, flips: set[int]) -> None:
    other = h
    for bit in flips:
        other ^= 1 << bit
    assert hamming(h, other) == len(flips)
    assert any(a == b for a, b in zip(bands(h), bands(other), strict=True))


def test_bands_are_four_16_bit_values() -> None:
    assert bands(0x1111_2222_3333_4444) == (0x4444, 0x3333, 0x2222, 0x1111)
    with pytest.raises(ValueError):
        bands(1, n=5)


@given(st.integers(0, 2**64 - 1))
def test_signed_roundtrip(h: int) -> None:
    v = to_signed64(h)
    assert -(2**63) <= v < 2**63
    assert from_signed64(v) == h


def test_signed_conversion_rejects_out_of_range() -> None:
    with pytest.raises(ValueError):
        to_signed64(2**64)
    with pytest.raises(ValueError):
        from_signed64(2**63)


def test_index_finds_near_duplicates_only() -> None:
    index = SimHashIndex()
    for i, text in enumerate([ORIGINAL, *DIFFERENT]):
        index.add(i, simhash(text))
    assert len(index) == 5
    found = index.query(simhash("转发：" + ORIGINAL + "😡"))
    assert [key for key, _ in found] == [0]
    assert index.query(simhash("完全无关的一条关于公交线路调整的新闻")) == []
    with pytest.raises(KeyError):
        index.add(0, 1)
