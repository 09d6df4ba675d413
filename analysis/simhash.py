"""64-bit SimHash for near-duplicate posts, with 4×16-bit bands for O(1) candidate lookup.

Features are the content words of the normalised text (jieba), so what a repost typically changes
does not count at all: repost prefixes (``转发：``, ``//@某某:``, ``回复@某某:``, ``【转】``), emoji,
punctuation, spacing and full/half width. Each remaining word is hashed (BLAKE2b, 8 bytes) and votes
with its count on the 64 bits.

Any two hashes within Hamming distance 3 agree on at least one of the four 16-bit bands (pigeonhole:
three differing bits touch at most three bands), so a store that indexes the bands finds every
candidate with four equality lookups; candidates are then checked with ``hamming``.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Hashable, Iterable
from functools import lru_cache
from typing import Final

from analysis.features import has_alnum, merge_emoticons, words
from analysis.normalize import normalize

BITS: Final = 64
MASK: Final = (1 << BITS) - 1
_LANE: Final = 32  # bits per counter lane in the packed accumulator (no overflow below 2^32 votes)
_REPOST: Final = re.compile(
    r"^(?:\s*(?:转发微博|(?:转发|转载)\s*[:：]?|(?:转|repost|rt)\s*[:：])\s*|\s*【转[^】]*】\s*)+"
    r"|//\s*@[^:：\s]+[:：]|回复\s*@[^:：\s]+[:：]",
    re.IGNORECASE,
)
# A short label before a colon at the very start ("网友爆料：", "市民反映："): reposters add or change it.
_LABEL: Final = re.compile(r"^[^,，。!！?？:：\s]{1,8}[:：]\s*")
_HASHTAG_MAX: Final = 12  # tokens between two '#' that still count as one hashtag


def _spread_byte(b: int) -> int:
    return sum(1 << (i * _LANE) for i in range(8) if b >> i & 1)


_SPREAD_BYTE: Final = tuple(_spread_byte(b) for b in range(256))


@lru_cache(maxsize=1 << 16)
def _spread(word: str) -> int:
    """The word's 64-bit hash with bit i moved to bit ``i*_LANE`` (one counter lane per bit).

    Adding spread values adds all 64 per-bit counters in one big-integer addition, which is much
    faster in pure Python than a 64-step loop per word.
    """
    h = int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "big")
    return sum(_SPREAD_BYTE[(h >> (8 * k)) & 0xFF] << (8 * k * _LANE) for k in range(8))


def strip_reposts(text: str) -> str:
    """Remove repost markers (``转发：``, ``//@某某:``, ``【转】``) and a leading short label (``网友爆料：``)."""
    return _LABEL.sub("", _REPOST.sub(" ", text).strip())


def hash_words(words: list[str]) -> list[str]:
    """The words that count for the hash: case-folded, with a letter or digit, outside emoticons
    (``[怒]``) and hashtags (``#本地新闻#``), which reposters add freely."""
    if "#" not in words and "[" not in words and "《" not in words and "【" not in words:
        return [w.casefold() for w in words if has_alnum(w)]  # the common case, without the loop below
    out: list[str] = []
    tokens = merge_emoticons(words)
    i = 0
    while i < len(tokens):
        word = tokens[i]
        if word == "#":
            close = next(
                (j for j in range(i + 1, min(len(tokens), i + _HASHTAG_MAX + 2)) if tokens[j] == "#"), -1
            )
            if close > 0:
                i = close + 1
                continue
        elif not word.startswith("[") and has_alnum(word):
            out.append(word.casefold())
        i += 1
    return out


def features(text: str) -> list[str]:
    """Content words that the hash is built from (repost markers, emoji, punctuation dropped)."""
    return hash_words(words(strip_reposts(normalize(text))))


def simhash_words(tokens: Iterable[str]) -> int:
    """SimHash of a bag of words: bit i is 1 when most word occurrences have bit i set."""
    counts = Counter(tokens)
    total = sum(counts.values())
    if total == 0:
        return 0
    acc = sum(n * _spread(word) for word, n in counts.items())
    lane = (1 << _LANE) - 1
    h = 0
    for i in range(BITS):
        if 2 * (acc >> (i * _LANE) & lane) > total:
            h |= 1 << i
    return h


def simhash(text: str) -> int:
    """Unsigned 64-bit SimHash of a text (0 for a text without words)."""
    return simhash_words(features(text))


def hamming(a: int, b: int) -> int:
    return ((a ^ b) & MASK).bit_count()


def bands(h: int, n: int = 4) -> tuple[int, ...]:
    """``n`` equal bands of the 64 bits, lowest band first (n=4: four 16-bit values)."""
    if n <= 0 or BITS % n:
        raise ValueError("bands: n 必须整除 64")
    width = BITS // n
    return tuple((h >> (i * width)) & ((1 << width) - 1) for i in range(n))


def to_signed64(h: int) -> int:
    """Unsigned 64-bit → signed (for a BIGINT column)."""
    if not 0 <= h <= MASK:
        raise ValueError(f"不是 64 位无符号整数：{h}")
    return h - (1 << BITS) if h >> (BITS - 1) else h


def from_signed64(v: int) -> int:
    """Signed BIGINT → unsigned 64-bit."""
    if not -(1 << (BITS - 1)) <= v < (1 << (BITS - 1)):
        raise ValueError(f"不是 64 位有符号整数：{v}")
    return v & MASK


class SimHashIndex:
    """In-memory banded index for batch near-duplicate search."""

    def __init__(self, max_distance: int = 3, n_bands: int = 4) -> None:
        if max_distance >= n_bands:
            raise ValueError("max_distance 必须小于分段数，否则可能漏掉近似重复")
        self.max_distance = max_distance
        self.n_bands = n_bands
        self._buckets: dict[tuple[int, int], list[Hashable]] = {}
        self._hashes: dict[Hashable, int] = {}

    def add(self, key: Hashable, h: int) -> None:
        if key in self._hashes:
            raise KeyError(f"重复的键：{key!r}")
        self._hashes[key] = h
        for i, band in enumerate(bands(h, self.n_bands)):
            self._buckets.setdefault((i, band), []).append(key)

    def query(self, h: int) -> list[tuple[Hashable, int]]:
        """Keys within ``max_distance`` of ``h`` with their distances, nearest first."""
        seen: set[Hashable] = set()
        found: list[tuple[Hashable, int]] = []
        for i, band in enumerate(bands(h, self.n_bands)):
            for key in self._buckets.get((i, band), ()):
                if key not in seen:
                    seen.add(key)
                    d = hamming(h, self._hashes[key])
                    if d <= self.max_distance:
                        found.append((key, d))
        return sorted(found, key=lambda kd: kd[1])

    def __len__(self) -> int:
        return len(self._hashes)
