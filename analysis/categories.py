"""Category classification: a weighted lexicon (``data/category_lexicon.toml``) plus boundary rules.

How a text is scored:
1. Every lexicon term is looked up as a substring of the folded text (ASCII terms such as ``110`` only
   on non-alphanumeric boundaries, so ``1100元`` is not a police call).
2. Longest match wins across categories: an occurrence inside a longer matched term is not counted,
   so ``物业费`` (房地产金融) hides ``物业`` (城乡建设与管理) and ``一氧化碳中毒`` (安全生产) hides
   ``中毒`` (食品药品安全).
3. A category's raw score is the sum of the weights of its distinct matched terms; the shown score is
   ``1 - exp(-raw/4)`` (0..1; one decisive term ≈ 0.53, two ≈ 0.78).
4. Boundary rules from the taxonomy (``RULES``) eliminate categories from the primary choice; the
   primary is the best remaining category with raw ≥ 2, else ``other``. Eliminated categories can still
   appear as secondary ones, so the duty officer sees the whole picture.
"""

from __future__ import annotations

import math
import re
import threading
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from analysis.normalize import fold
from analysis.rules import RULES, eliminated
from analysis.taxonomy import CATEGORIES
from analysis.types import CategoryScore

LEXICON_PATH: Final = Path(__file__).resolve().parent / "data" / "category_lexicon.toml"
DECISIVE: Final = 3  # weight of a term that decides a category on its own
MIN_PRIMARY: Final = 2.0
MIN_SECONDARY: Final = 2.0
MAX_SECONDARY: Final = 4
EXTRA_WEIGHT: Final = 3  # config terms are deliberate choices of the user: decisive by default
_ASCII_TERM: Final = re.compile(r"[0-9a-z]+")

ExtraSpec = Mapping[str, Sequence[str] | Mapping[str, object]]


def _load_lexicon(path: Path) -> tuple[dict[str, dict[str, int]], list[tuple[re.Pattern[str], str]]]:
    """code -> {term: weight}, and (pattern, code) pairs, from the TOML file (weights are table keys)."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    lexicon: dict[str, dict[str, int]] = {}
    patterns: list[tuple[re.Pattern[str], str]] = []
    for code, table in data.items():
        if code not in CATEGORIES:
            raise ValueError(f"分类词表 {path} 中有未知分类代码 {code!r}")
        terms: dict[str, int] = {}
        for weight, words in table.items():
            if weight == "re":
                patterns.extend((re.compile(fold(w)), code) for w in words)
                continue
            for word in words:
                terms[fold(word)] = max(int(weight), terms.get(fold(word), 0))
        lexicon[code] = terms
    return lexicon, patterns


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    term: str
    code: str
    weight: int


class Taxonomy:
    """The default categories plus user extensions from config.

    ``extra`` maps a code to either a list of terms or ``{"name": ..., "terms": [...], "weight": 3}``.
    A known code gets the terms added to its lexicon; a new code becomes a new category.
    """

    def __init__(self, extra: ExtraSpec | None = None, lexicon_path: Path = LEXICON_PATH) -> None:
        self.names: dict[str, str] = dict(CATEGORIES)
        self.lexicon, self._patterns = _load_lexicon(lexicon_path)
        for code, spec in (extra or {}).items():
            self._extend(code, spec)
        # Index terms by first character: only terms whose first character occurs in the text are tried.
        self._by_first: dict[str, list[tuple[str, str, int]]] = {}
        for code, terms in self.lexicon.items():
            for term, weight in terms.items():
                self._by_first.setdefault(term[0], []).append((term, code, weight))

    def _extend(self, code: str, spec: Sequence[str] | Mapping[str, object]) -> None:
        if isinstance(spec, Mapping):
            name, terms, weight = spec.get("name"), spec.get("terms", ()), spec.get("weight", EXTRA_WEIGHT)
        else:
            name, terms, weight = None, spec, EXTRA_WEIGHT
        if isinstance(terms, str) or not isinstance(terms, Sequence) or not terms:
            raise ValueError(f"自定义分类 {code!r} 的 terms 应为非空的词语列表")
        if not isinstance(weight, int) or not 1 <= weight <= 5:
            raise ValueError(f"自定义分类 {code!r} 的 weight 应为 1 到 5 的整数")
        self.names[code] = str(name) if name else self.names.get(code, code)
        table = self.lexicon.setdefault(code, {})
        for term in terms:
            folded = fold(str(term))
            if folded:
                table[folded] = max(weight, table.get(folded, 0))

    def _hits(self, text: str) -> list[_Hit]:
        hits: list[_Hit] = []
        for ch in set(text):
            for term, code, weight in self._by_first.get(ch, ()):
                start = text.find(term)
                while start >= 0:
                    end = start + len(term)
                    if not _ASCII_TERM.fullmatch(term) or _on_boundary(text, start, end):
                        hits.append(_Hit(start, end, term, code, weight))
                    start = text.find(term, start + 1)
        for pattern, code in self._patterns:
            hits.extend(_Hit(m.start(), m.end(), m.group(), code, DECISIVE) for m in pattern.finditer(text))
        return hits

    def raw_scores(self, text: str, normalized: bool = False) -> dict[str, tuple[float, list[str]]]:
        """code -> (raw score, evidence terms by weight) for every category with a counted term.

        ``normalized``: the text already went through ``analysis.normalize.normalize``.
        """
        terms: dict[str, dict[str, int]] = {}
        folded = text.casefold() if normalized else fold(text)
        for hit in _unshadowed(self._hits(folded)):
            terms.setdefault(hit.code, {})[hit.term] = hit.weight
        return {
            code: (float(sum(found.values())), sorted(found, key=lambda t: (-found[t], t)))
            for code, found in terms.items()
        }

    def classify(self, text: str, normalized: bool = False) -> tuple[CategoryScore, ...]:
        """Primary category first, then up to four secondary ones (each with score and evidence)."""
        scores = self.raw_scores(text, normalized)
        decisive = {code for code, (_, ev) in scores.items() if self._weight(code, ev[0]) >= DECISIVE}
        out = eliminated(scores, decisive, RULES)
        ranked = sorted(scores, key=lambda c: (-scores[c][0], c))
        candidates = [c for c in ranked if c not in out and scores[c][0] >= MIN_PRIMARY]
        primary = candidates[0] if candidates else "other"
        result = [self._score(primary, scores)]
        for code in ranked:
            if code != primary and scores[code][0] >= MIN_SECONDARY and len(result) <= MAX_SECONDARY:
                result.append(self._score(code, scores))
        return tuple(result)

    def _weight(self, code: str, term: str) -> int:
        """A term's weight; pattern matches (not in the term table) are decisive."""
        return self.lexicon[code].get(term, DECISIVE)

    def _score(self, code: str, scores: Mapping[str, tuple[float, list[str]]]) -> CategoryScore:
        raw, evidence = scores.get(code, (0.0, []))
        return CategoryScore(
            code, self.names.get(code, code), round(1 - math.exp(-raw / 4), 3), tuple(evidence)
        )


def _unshadowed(hits: list[_Hit]) -> list[_Hit]:
    """Hits not inside a longer hit (one sweep, O(n log n): long texts repeat terms thousands of times).

    Sorted by start, longest first, a hit is inside an earlier one exactly when the furthest end seen so
    far reaches its end; the same span matched by two categories (工地) counts for both.
    """
    kept: list[_Hit] = []
    best_end, best_span = -1, (-1, -1)
    for hit in sorted(hits, key=lambda h: (h.start, -h.end)):
        span = (hit.start, hit.end)
        if best_end >= hit.end and best_span != span:
            continue
        kept.append(hit)
        if hit.end > best_end:
            best_end, best_span = hit.end, span
    return kept


def _on_boundary(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (before.isascii() and before.isalnum()) and not (after.isascii() and after.isalnum())


_lock = threading.Lock()
_default: Taxonomy | None = None


def default_taxonomy() -> Taxonomy:
    """The shipped taxonomy, built once per process."""
    global _default
    if _default is None:
        with _lock:
            if _default is None:
                _default = Taxonomy()
    return _default


def classify(text: str, extra: ExtraSpec | None = None) -> tuple[CategoryScore, ...]:
    """Categories of one text; ``extra`` extends the default taxonomy (see ``Taxonomy``)."""
    taxonomy = default_taxonomy() if not extra else Taxonomy(extra)
    return taxonomy.classify(text)
