"""Build posts the way the crawler pipeline hands them over (real analysis, real ingest)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from analysis import analyze
from tracker import ingest

_ids = itertools.count(1)

FOOD = [
    (
        "实验小学食堂午饭后多名学生呕吐腹泻",
        "今天中午实验小学三年级好几个孩子吃完食堂午饭就开始呕吐、腹泻，已经送到市人民医院了，学校没有任何说法。",
    ),
    (
        "实验小学多名学生疑似食物中毒送医",
        "记者了解到，实验小学多名学生午餐后出现呕吐、腹痛、腹泻症状，已被送往医院救治，家长质疑食堂卫生。",
    ),
    (
        "实验小学呕吐腹泻学生增至二十余人",
        "实验小学出现呕吐腹泻症状的学生增至二十余人，三人留院观察，家长要求公开食堂配餐公司资质，质疑学校隐瞒。",
    ),
    (
        "实验小学食堂中毒 家长聚集校门口",
        "数十名家长聚集在实验小学门口，要求说明食堂中毒原因，孩子呕吐腹泻送医，学校不作为让人寒心。",
    ),
    (
        "医院收治实验小学呕吐腹泻学生二十六名",
        "医院今日收治实验小学呕吐腹泻学生二十六名，三名学生留院观察，样本已送检，家长对食堂管理十分不满。",
    ),
    (
        "实验小学食堂配餐公司资质存疑",
        "实验小学食堂配餐公司资质有问题，食材有过期变质，孩子们中毒送医，必须严查。",
    ),
]


def item(
    source: str,
    title: str,
    text: str,
    published_at: datetime | None,
    *,
    url: str | None = None,
    fetched_at: datetime | None = None,
    **extra: Any,
) -> dict[str, Any]:
    n = next(_ids)
    return {
        "source": source,
        "external_id": f"t{n}",
        "url": url or f"http://127.0.0.1/{source}/{n}.html",
        "title": title,
        "text": text,
        "published_at": published_at,
        "fetched_at": fetched_at or published_at,
        "author_hash": None,
        "analysis": analyze([f"{title}\n{text}"])[0],
        **extra,
    }


def store(
    source: str, title: str, text: str, published_at: datetime | None, **extra: Any
) -> ingest.IngestResult:
    return ingest.store_post(item(source, title, text, published_at, **extra))


def food_story(start: datetime, count: int = 6, source: str = "新闻") -> list[ingest.IngestResult]:
    """The school food-poisoning story: posts every 10 minutes from ``start``."""
    return [store(source, t, x, start + timedelta(minutes=10 * i)) for i, (t, x) in enumerate(FOOD[:count])]
