"""The batch entry point behind ``analysis.analyze``: one segmentation per text feeds every analyser."""

from __future__ import annotations

from collections.abc import Sequence

from analysis.categories import Taxonomy, default_taxonomy
from analysis.features import lead_terms, words
from analysis.normalize import normalize
from analysis.sentiment import NEUTRAL, default_model
from analysis.simhash import hash_words, simhash_words, strip_reposts
from analysis.types import Analysis


def label_of(score: float) -> str:
    """``positive`` at 0.5 and above: a text without evidence (0.5) must not inflate negative shares."""
    return "positive" if score >= NEUTRAL else "negative"


def analyze(texts: Sequence[str], taxonomy: Taxonomy | None = None) -> list[Analysis]:
    """Sentiment, categories and SimHash of each text, in input order.

    The sentiment model and jieba load on the first call (once per process, thread-safe). ``taxonomy``
    defaults to the shipped one; pass ``Taxonomy(extra)`` for categories extended in config.
    """
    model = default_model()
    tax = taxonomy or default_taxonomy()
    out: list[Analysis] = []
    for text in texts:
        clean = normalize(text if isinstance(text, str) else str(text))
        # Repost markers and a leading label say nothing about sentiment and must not change the hash;
        # categories see the whole text ("医保：报销太慢" needs its label).
        body = strip_reposts(clean)
        tokens = words(body) if body else []
        score = round(model.score_tokens(tokens), 4) if tokens else NEUTRAL
        cats = tax.classify(clean, normalized=True)
        out.append(
            Analysis(
                sentiment=score,
                label=label_of(score),
                category=cats[0].code,
                categories=cats,
                model=model.version,
                simhash=simhash_words(hash_words(tokens)),
                key_terms=lead_terms(tokens),
            )
        )
    return out
