"""Boundary rules of the taxonomy (shared/taxonomy.md): which category wins when several match.

A rule fires when its winner matched a decisive term (weight 3), or one of the rule's ``terms`` when
given. It then removes its losers from the primary choice; they may still be listed as secondary.
Two winners that eliminate each other cannot happen: no category is both winner and loser of the
other, so the remaining scores decide between, e.g., unpaid wages and a site accident.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final


def _set(words: str) -> frozenset[str]:
    """A word set written as one space-separated string (easier to read and extend)."""
    return frozenset(words.split())


_SECTORS: Final = frozenset(
    {
        "employment_social_security", "education", "medical", "elderly_care", "urban_management",
        "real_estate_finance", "housing_security", "land_demolition", "transport", "consumer_market",
        "culture_sports", "needy_groups", "officials_conduct", "epidemic_control",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Rule:
    winner: str
    losers: frozenset[str]
    why: str
    terms: frozenset[str] | None = None  # None: any decisive term of the winner fires the rule


# Officials' misconduct proper (not just "nobody answered"), which keeps officials_conduct primary
# even when a sector is named: 城管暴力执法 is about the officers, not the street.
OFFICIALS_CORE: Final = _set(
    "腐败 贪污 受贿 索贿 行贿 吃拿卡要 违规吃喝 公款吃喝 公车私用 滥用职权 以权谋私 执法不公 暴力执法 "
    "选择性执法 徇私 包庇 打击报复 纪委 监委 作风问题 门难进 脸难看 事难办 态度恶劣 态度蛮横"
)
MEDICAL_INSURANCE: Final = _set(
    "医保 医疗保险 城乡居民医保 新农合 生育保险 生育津贴 医保卡 异地就医 参保 报销"
)

RULES: Final[tuple[Rule, ...]] = (
    Rule(
        "officials_conduct",
        (_SECTORS - {"officials_conduct"}) | {"public_security"},
        "干部违纪违规行为归干部作风",
        OFFICIALS_CORE,
    ),
    Rule("wage_arrears", _SECTORS, "拖欠工资优先于所属行业"),
    Rule("work_safety", _SECTORS | {"environmental_pollution"}, "事故或安全隐患优先于所属行业"),
    Rule(
        "food_drug_safety",
        frozenset({"education", "medical", "consumer_market", "elderly_care", "epidemic_control"}),
        "食品药品质量优先于教育、医疗",
    ),
    Rule("medical", frozenset({"employment_social_security"}), "医保事项归医疗卫生", MEDICAL_INSURANCE),
    Rule(
        "public_security",
        frozenset({"education", "medical", "culture_sports", "transport"}),
        "学校、医院等场所的暴力事件归社会治安",
        _set("砍人 持刀 伤人 杀人 行凶 暴力 殴打 打人 打架 斗殴 群殴 猥亵 性侵 绑架 踩踏"),
    ),
)


def eliminated(
    scores: Mapping[str, tuple[float, Sequence[str]]], decisive: set[str], rules: Sequence[Rule]
) -> set[str]:
    """Codes that the fired rules remove from the primary choice."""
    out: set[str] = set()
    for rule in rules:
        if rule.winner not in scores:
            continue
        evidence = set(scores[rule.winner][1])
        fired = bool(evidence & rule.terms) if rule.terms is not None else rule.winner in decisive
        if fired:
            out |= rule.losers
    # A sector complaint that also says "nobody handles it" is still about the sector, unless it names
    # misconduct proper.
    officials = set(scores.get("officials_conduct", (0.0, ()))[1])
    if decisive - {"officials_conduct"} and not officials & OFFICIALS_CORE:
        out.add("officials_conduct")
    return out
