"""Text normalisation shared by the crawler pipeline, topic queries and the analysers.

``normalize`` makes texts that a reader sees as equal compare equal: full-width letters, digits and ASCII
punctuation become half-width (NFKC), zero-width and control characters disappear, runs of whitespace
collapse to one space, and common traditional characters become simplified (small table in
``data/t2s.txt``; a full converter such as OpenCC would be a heavy dependency for little gain here).
NFKC turns full-width ，！？：； into their ASCII forms; 。、「」 have no half-width form and stay.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Final

# Zero-width and invisible formatting characters seen in scraped posts (ZWSP, ZWNJ, ZWJ, word joiner,
# BOM, soft hyphen, LRM/RLM and bidi embedding controls); removed before anything else.
_INVISIBLE: Final = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
# Other control characters (C0/C1) except tab/newline/CR, which count as whitespace below.
_CONTROL: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SPACES: Final = re.compile(r"\s+")


@lru_cache(maxsize=1)
def _t2s_table() -> dict[int, str]:
    """Load the traditional→simplified table once (str.translate mapping)."""
    text = (Path(__file__).resolve().parent / "data" / "t2s.txt").read_text(encoding="utf-8")
    table: dict[int, str] = {}
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        for pair in line.split():
            if len(pair) == 2 and pair[0] != pair[1]:
                table[ord(pair[0])] = pair[1]
    return table


def to_simplified(text: str) -> str:
    """Replace the traditional characters the small table knows; everything else is unchanged."""
    return text.translate(_t2s_table())


def normalize(text: str) -> str:
    """Normalise a post's text for storage, matching and analysis (idempotent)."""
    if not text:
        return ""
    text = _INVISIBLE.sub("", text)
    text = unicodedata.normalize("NFKC", text)
    text = _CONTROL.sub(" ", text)
    text = _SPACES.sub(" ", text).strip()
    return to_simplified(text)


def fold(text: str) -> str:
    """``normalize`` plus case folding: the form topic queries match against."""
    return normalize(text).casefold()
