"""Result types of the analysis entry point (kept import-light: no jieba, no model)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CategoryScore:
    """One category of a text: its code, user-facing name, score 0..1 and the terms that decided it."""

    code: str
    name: str
    score: float
    evidence: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {"code": self.code, "name": self.name, "score": self.score, "evidence": list(self.evidence)}


@dataclass(frozen=True)
class Analysis:
    """Everything ``analysis.analyze`` says about one text."""

    sentiment: float  # 0..1 probability that the text is positive
    label: str  # "positive" | "negative"
    category: str  # primary category code
    categories: tuple[CategoryScore, ...]  # primary first
    model: str  # sentiment model version string
    simhash: int  # unsigned 64-bit
    #: the most frequent content words of the text's lead (places, actors, what happened): what the
    #: tracker compares to tell whether two differently written posts tell the same story
    key_terms: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "sentiment": self.sentiment,
            "label": self.label,
            "category": self.category,
            "categories": [c.to_json() for c in self.categories],
            "model": self.model,
            "simhash": self.simhash,
            "key_terms": list(self.key_terms),
        }
