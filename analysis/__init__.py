"""Pure text analysis for yuqing: sentiment, categories, topic queries, near-duplicates, severity.

Importing ``analysis`` is cheap (the tracker imports ``analysis.taxonomy`` often): jieba, the sentiment
model and the lexicon load on the first ``analyze`` call. This package imports nothing else of ours
and never touches a database or the network.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from analysis.types import Analysis, CategoryScore

if TYPE_CHECKING:
    from analysis.categories import Taxonomy

__all__ = ["Analysis", "CategoryScore", "analyze"]


def analyze(texts: Sequence[str], taxonomy: Taxonomy | None = None) -> list[Analysis]:
    """Analyse a batch of texts (see ``analysis.pipeline.analyze``)."""
    from analysis.pipeline import analyze as _analyze

    return _analyze(texts, taxonomy)
