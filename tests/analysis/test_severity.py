from __future__ import annotations

from analysis.severity import IncidentStats, reported_deaths, suggest_grade
from analysis.taxonomy import GRADE_ORDER, grade_rank


def stats(**kw: object) -> IncidentStats:
    base: dict[str, object] = {
        "post_count": 1, "posts_last_hour": 0, "posts_prev_hour": 0, "distinct_sources": 1,
        "negative_share": 0.0, "category": "other", "text_sample": "",
    }  # fmt: skip
    base.update(kw)
    return IncidentStats(**base)  # type: ignore[arg-type]


def test_single_pothole_complaint_is_general() -> None:
    s = suggest_grade(
        stats(negative_share=1.0, category="urban_management", text_sample="小区门口路面有个大坑")
    )
    assert s.grade == "IV"
    assert "共1条帖子" in s.reasons


def test_school_food_poisoning_spreading_is_major() -> None:
    s = suggest_grade(
        stats(
            post_count=12, posts_last_hour=4, posts_prev_hour=3, distinct_sources=3, negative_share=0.8,
            category="food_drug_safety", text_sample="某小学食堂午餐后多名学生呕吐腹泻，疑似食物中毒，已送医",
        )
    )  # fmt: skip
    assert s.grade == "II"
    assert any(r.startswith("出现关键词：") and "中毒" in r and "送医" in r for r in s.reasons)
    assert "来自3个不同来源" in s.reasons


def test_deaths_and_mass_incidents_can_be_especially_major() -> None:
    blast = stats(
        post_count=60, posts_last_hour=30, posts_prev_hour=5, distinct_sources=6, negative_share=0.9,
        category="work_safety", text_sample="化工厂爆炸事故已造成12人死亡",
    )  # fmt: skip
    s = suggest_grade(blast)
    assert s.grade == "I"
    assert "出现严重情形：12人死亡" in s.reasons
    assert suggest_grade(stats(post_count=30, distinct_sources=4, text_sample="商场发生踩踏")).grade != "IV"


def test_especially_major_needs_a_catastrophic_term() -> None:
    busy = stats(
        post_count=200, posts_last_hour=80, posts_prev_hour=5, distinct_sources=8, negative_share=1.0,
        category="work_safety", text_sample="厂房爆炸起火，多人受伤送医",
    )  # fmt: skip
    assert suggest_grade(busy).grade == "II"


def test_reassurance_is_not_a_casualty() -> None:
    calm = suggest_grade(stats(post_count=3, text_sample="厂房起火，无人员伤亡"))
    hurt = suggest_grade(stats(post_count=3, text_sample="厂房起火，有人员伤亡"))
    assert not any("伤亡" in r for r in calm.reasons)
    assert hurt.score > calm.score


def test_even_one_post_with_many_deaths_is_at_least_major() -> None:
    assert suggest_grade(stats(text_sample="隧道坍塌，十二名工人遇难")).grade in ("II", "I")


def test_grade_grows_with_volume() -> None:
    ranks = [grade_rank(suggest_grade(stats(post_count=n, distinct_sources=3)).grade) for n in (1, 10, 100)]
    assert ranks == sorted(ranks)
    assert all(g in GRADE_ORDER for g in ("IV", "III", "II", "I"))


def test_growth_is_a_reason() -> None:
    s = suggest_grade(stats(post_count=20, posts_last_hour=12, posts_prev_hour=2))
    assert "最近一小时12条（前一小时2条），快速增长" in s.reasons


def test_reported_deaths() -> None:
    assert reported_deaths("事故造成3人死亡、5人受伤") == 3
    assert reported_deaths("两名工人遇难") == 2
    assert reported_deaths("死亡人数升至12人") == 12
    assert reported_deaths("3月5日上午发生事故") == 0
