"""The default category taxonomy and severity grades (from shared/taxonomy.md).

Codes are stable identifiers used in the database, config, exports and tests; names are what users see.
"""

from __future__ import annotations

from typing import Final

#: code -> 名称, in the order of the taxonomy table.
CATEGORIES: Final[dict[str, str]] = {
    "wage_arrears": "工资拖欠",
    "employment_social_security": "就业社保",
    "food_drug_safety": "食品药品安全",
    "environmental_pollution": "环境污染",
    "ecological_damage": "生态破坏",
    "work_safety": "安全生产",
    "epidemic_control": "疫情防控",
    "real_estate_finance": "房地产金融",
    "housing_security": "住房保障",
    "education": "教育",
    "medical": "医疗卫生",
    "elderly_care": "养老服务",
    "needy_groups": "困难群众生活",
    "land_demolition": "征地拆迁",
    "urban_management": "城乡建设与管理",
    "transport": "交通出行",
    "consumer_market": "市场监管与消费",
    "culture_sports": "文化体育",
    "public_security": "社会治安",
    "officials_conduct": "干部作风",
    "other": "其他",
}

#: Severity grades (研判等级), lowest first. Codes are the national emergency classes.
GRADES: Final[dict[str, str]] = {"IV": "一般", "III": "较大", "II": "重大", "I": "特别重大"}
GRADE_ORDER: Final[tuple[str, ...]] = ("IV", "III", "II", "I")
GRADE_BY_NAME: Final[dict[str, str]] = {name: code for code, name in GRADES.items()}


def category_name(code: str) -> str:
    """The user-facing name of a category code (the code itself when unknown, e.g. a config extension)."""
    return CATEGORIES.get(code, code)


def grade_code(value: str) -> str:
    """Accept a grade as code (``II``) or name (``重大``); raise ValueError otherwise."""
    if value in GRADES:
        return value
    if value in GRADE_BY_NAME:
        return GRADE_BY_NAME[value]
    raise ValueError(f"未知的等级 {value!r}，应为 一般/较大/重大/特别重大 或 IV/III/II/I")


def grade_rank(code: str) -> int:
    """0 for 一般 … 3 for 特别重大, so grades compare as numbers."""
    return GRADE_ORDER.index(code)
