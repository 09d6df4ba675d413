"""Severity suggestion (研判建议): a grade from volume, growth, spread, negativity, category and terms.

Points, summed (see the model card for the calibration examples):
- volume: 8 per doubling of the post count (1 post → 0, 10 → 27), at most 40;
- growth: 10 when the last hour has ≥ 3 posts and at least twice the hour before, 15 when ≥ 10 and 4×;
- spread: 5 per distinct source beyond the first, at most 20;
- negativity: up to 10 as the negative share goes from 50% to 100%;
- category weight: 0–10 (accidents, food/drug, epidemics weigh most);
- critical terms: 8 per serious term (中毒, 送医, 爆炸…), at most 24; 25 for a catastrophic one
  (群体性, 踩踏, 多人死亡, three or more deaths…).
Grades: < 30 一般 (IV), < 55 较大 (III), < 80 重大 (II), else 特别重大 (I). 特别重大 needs a
catastrophic term; a catastrophic term lifts the grade to at least 较大, ten or more deaths to 重大.
The result is only a suggestion: a person confirms the grade.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Final

from analysis.normalize import normalize
from analysis.taxonomy import GRADE_ORDER, category_name

CATEGORY_WEIGHT: Final[dict[str, int]] = {
    "work_safety": 10, "food_drug_safety": 10, "epidemic_control": 10, "public_security": 7,
    "wage_arrears": 6, "environmental_pollution": 6, "land_demolition": 6, "real_estate_finance": 6,
    "ecological_damage": 5, "education": 5, "medical": 5, "officials_conduct": 5, "elderly_care": 4,
    "needy_groups": 4, "housing_security": 3, "employment_social_security": 3, "transport": 3,
    "urban_management": 2, "consumer_market": 2, "culture_sports": 1, "other": 0,
}  # fmt: skip


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


SERIOUS_TERMS: Final = _words(
    "死亡 身亡 遇难 丧生 中毒 送医 送院 抢救 重伤 受伤 伤亡 爆炸 爆燃 坍塌 倒塌 垮塌 火灾 大火 泄漏 "
    "失踪 被困 溺亡 坠亡 感染 确诊 集体腹泻 集体 停课 围堵 聚集 堵路 拉横幅 上访 罢工 跳楼 自杀 砍伤"
)
CATASTROPHIC_TERMS: Final = _words(
    "群体性 踩踏 多人死亡 多人遇难 多人身亡 特大 特别重大 重大事故 重大伤亡 大规模 暴乱 恐怖 群死群伤"
)
_NUM: Final = r"(\d+|[一二两三四五六七八九十百几数]+)"
_DEATHS: Final = re.compile(
    _NUM + r"\s*(?:名|人|位)[^,，。；;!！?？\d]{0,4}?(?:死亡|遇难|身亡|丧生|罹难)"
    r"|(?:死亡|遇难)(?:人数)?(?:升至|上升至|增至|达到?|为)?\s*" + _NUM + r"\s*(?:名|人)"
)
# "无人员伤亡", "未造成人员死亡", "暂无人员受伤": reassurances, not casualties.
_REASSURED: Final = re.compile(r"(?:无|未|没有|暂无|并无)(?:造成)?(?:人员)?(?:伤亡|死亡|受伤|中毒)")
_CN_DIGITS: Final = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
THRESHOLDS: Final = (30.0, 55.0, 80.0)  # IV | III | II | I


@dataclass(frozen=True)
class IncidentStats:
    post_count: int
    posts_last_hour: int
    posts_prev_hour: int
    distinct_sources: int
    negative_share: float  # 0..1
    category: str
    text_sample: str  # titles + texts joined, searched for critical terms


@dataclass(frozen=True)
class GradeSuggestion:
    grade: str  # "IV" | "III" | "II" | "I" (analysis.taxonomy.GRADES)
    reasons: tuple[str, ...]  # Chinese, for the duty officer
    score: float


def _cn_number(text: str) -> int:
    """Small Chinese or Arabic numbers (三 → 3, 十二 → 12, 数/几 → 3 as "several")."""
    if text.isdigit():
        return int(text)
    if text[0] in "几数":
        return 3
    if "百" in text:
        return 100
    if "十" in text:
        tens, _, ones = text.partition("十")
        return _CN_DIGITS.get(tens, 1) * 10 + _CN_DIGITS.get(ones, 0)
    return _CN_DIGITS.get(text[-1], 0)


def reported_deaths(text: str) -> int:
    """The largest death toll a text states ("造成3人死亡", "两名工人遇难"), 0 if none."""
    return max((_cn_number(m.group(1) or m.group(2)) for m in _DEATHS.finditer(text)), default=0)


def _terms(text: str) -> tuple[list[str], list[str]]:
    clean = _REASSURED.sub(" ", normalize(text))
    return [t for t in SERIOUS_TERMS if t in clean], [t for t in CATASTROPHIC_TERMS if t in clean]


def _activity_points(s: IncidentStats, reasons: list[str]) -> float:
    points = 0.0
    if s.post_count > 1:
        points += min(40.0, 8 * math.log2(s.post_count))
    reasons.append(f"共{s.post_count}条帖子")
    last, prev = s.posts_last_hour, s.posts_prev_hour
    if last >= 10 and last >= 4 * max(prev, 1):
        points += 15
        reasons.append(f"最近一小时{last}条（前一小时{prev}条），快速增长")
    elif last >= 3 and last >= 2 * max(prev, 1):
        points += 10
        reasons.append(f"最近一小时{last}条（前一小时{prev}条），增长明显")
    if s.distinct_sources > 1:
        points += min(20.0, 5.0 * (s.distinct_sources - 1))
        reasons.append(f"来自{s.distinct_sources}个不同来源")
    if s.negative_share > 0.5:
        points += 20 * (min(s.negative_share, 1.0) - 0.5)
        reasons.append(f"负面占比{round(100 * s.negative_share)}%")
    return points


def suggest_grade(stats: IncidentStats) -> GradeSuggestion:
    """Suggested grade with the reasons that produced it (see module docstring)."""
    reasons: list[str] = []
    score = _activity_points(stats, reasons)
    weight = CATEGORY_WEIGHT.get(stats.category, 2)
    score += weight
    if weight >= 6:
        reasons.append(f"敏感类别：{category_name(stats.category)}")
    serious, catastrophic = _terms(stats.text_sample)
    deaths = reported_deaths(_REASSURED.sub(" ", normalize(stats.text_sample)))
    if deaths >= 3 and "多人死亡" not in catastrophic:
        catastrophic.append(f"{deaths}人死亡")
    if serious:
        score += min(24, 8 * len(serious))
        reasons.append("出现关键词：" + "、".join(serious[:6]))
    if catastrophic:
        score += 25
        reasons.append("出现严重情形：" + "、".join(catastrophic[:4]))
    level = sum(score >= t for t in THRESHOLDS)
    # 特别重大 needs deaths, mass casualties or a mass incident; those lift the floor to 较大/重大.
    level = max(level, 1 + (deaths >= 10)) if catastrophic else min(level, 2)
    return GradeSuggestion(grade=GRADE_ORDER[level], reasons=tuple(reasons), score=round(score, 1))
