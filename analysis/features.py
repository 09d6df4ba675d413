"""Segmentation (jieba with our domain dictionary) and sentiment feature tokens.

One ``jieba.Tokenizer`` per process, built lazily under a lock: jieba's module-level default tokenizer
is shared global state, and building the prefix dictionary costs ~0.6 s and ~60 MiB, so it must happen
once and only when text is actually analysed (``import analysis`` stays light).

Sentiment features are jieba words with two rules a bag of words cannot learn by itself:
- negation: a negator and the next content word become one token, ``不满意`` → ``不_满意``,
  ``没有回复`` → ``不_回复``, ``毫无作为`` → ``不_作为`` (all negators share the ``不_`` prefix so the
  few thousand training texts are not split over a dozen spellings of "not"), plus a generic ``不``
  marker so that an unseen ``不_X`` still leans the way negations usually do;
- degree: an intensifier (很/非常/太…) repeats the word it modifies, doubling its weight in the
  naive-Bayes sum; the intensifier itself carries no sentiment and is dropped.
Weibo emoticons split by jieba are joined back (``[怒]``), emoji and ！？ count, stop words do not.
"""

from __future__ import annotations

import logging
import threading
import unicodedata
from collections.abc import Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Final

from analysis.segment import FastCutter

if TYPE_CHECKING:
    import jieba


def _set(words: str) -> frozenset[str]:
    """A word set written as one space-separated string (easier to read and extend)."""
    return frozenset(words.split())


#: Bump when ``sentiment_features`` changes: a model trained on other features must not be loaded.
FEATURE_VERSION: Final = "f4"

NEGATORS: Final = _set(
    "不 没 没有 无 未 别 非 莫 勿 毫无 并未 并非 从未 从不 从没 不再 尚未 未能 无法 不能 不会 不要 不用 "
    "不太 没能 不够 绝不 决不 毫不 并不 也不 都不 还没 还没有 不曾 未曾 甭 木有 没什么"
)
INTENSIFIERS: Final = _set(
    "很 非常 太 特别 极其 极 十分 超级 超 真的 最 更 挺 相当 格外 尤其 实在 简直 太过 过于 异常 "
    "极度 万分 巨 贼 越来越 如此 这么 那么"
)
# Words skipped while a negation or intensifier is waiting for its head word ("没有人回复", "不太满意").
_FILLERS: Final = _set("人 任何 一点 一点儿 一些 什么 都 也 还 再 得 到 给 被 把 有 就 是 的 地")
STOPWORDS: Final = _set(
    "的 了 着 呢 吧 啊 呀 嘛 哦 哈 么 之 其 而 与 及 和 或 在 于 这 那 这个 那个 我 你 他 她 它 我们 你们 "
    "他们 是 就 也 都 还 又 把 被 给 让 对 从 向 以 为 等 等等 一个 一 个 啦 哇 嗯 呗 咯 啥"
)
# Punctuation worth keeping as features: exclamations and questions carry tone on Weibo and in complaints.
_KEEP_PUNCT: Final = frozenset("!?！？")

USERDICT: Final = Path(__file__).resolve().parent / "data" / "userdict.txt"
_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None
_cutter: FastCutter | None = None


def tokenizer() -> jieba.Tokenizer:
    """The process-wide jieba tokenizer with the domain dictionary loaded (built on first use)."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)  # "Building prefix dict…" is noise on the CLI
                tk = jieba.Tokenizer()
                tk.initialize()
                tk.load_userdict(str(USERDICT))
                global _cutter
                _cutter = FastCutter(tk)
                _tokenizer = tk
    return _tokenizer


def words(text: str) -> list[str]:
    """jieba words of an already normalised text, whitespace dropped.

    Same words as ``jieba.Tokenizer.cut(text, HMM=False)`` (``analysis.segment``, about a third faster).
    HMM new-word discovery is off: it costs ~25% of the segmentation time and measured no better
    (SMP2020 held-out accuracy 0.898 either way); the domain dictionary covers the words that matter.
    """
    if _cutter is None:
        tokenizer()
    assert _cutter is not None
    return [w for w in _cutter.cut(text) if not w.isspace()]


#: how much of a text's start ``lead_terms`` reads, and how many terms it keeps
LEAD_CHARS: Final = 500
LEAD_TERMS: Final = 25


def lead_terms(tokens: Sequence[str], chars: int = LEAD_CHARS, top: int = LEAD_TERMS) -> tuple[str, ...]:
    """The ``top`` most frequent words of two characters or more with a letter or digit among the words
    of the first ``chars`` characters, most frequent first (ties in order of appearance).

    The lead of a post names the place, the actors and what happened; the rest adds cost, not identity.
    Takes the words ``analyze`` already cut, so key terms cost no second segmentation."""
    counts: dict[str, int] = {}
    used = 0
    for word in tokens:
        used += len(word)
        if used > chars:
            break
        if len(word) >= 2 and has_alnum(word):
            counts[word] = counts.get(word, 0) + 1
    # sorted() is stable and dicts keep insertion order: equal counts stay in order of appearance
    return tuple(sorted(counts, key=lambda w: -counts[w])[:top])


@lru_cache(maxsize=1 << 16)  # the vocabulary repeats: cache the per-character checks
def _is_content(word: str) -> bool:
    """A word that can carry meaning: not punctuation or a stop word; emoji and emoticons count."""
    if word in _KEEP_PUNCT or word.startswith("[") or any(unicodedata.category(ch) == "So" for ch in word):
        return True
    if word in STOPWORDS:
        return False
    return any(ch.isalnum() for ch in word)


_EMOTICON_OPEN: Final = {"[": "]", "《": "》", "【": "】"}
_EMOTICON_MAX: Final = 6


@lru_cache(maxsize=1 << 16)
def has_alnum(word: str) -> bool:
    """A word with at least one letter or digit (not punctuation, emoji or spacing)."""
    return any(ch.isalnum() for ch in word)


def merge_emoticons(tokens: list[str]) -> list[str]:
    """Join Weibo emoticons split by jieba (``[``, ``怒``, ``]`` → ``[怒]``); ``《心》`` becomes ``[心]``.

    The SMP2020 set writes Weibo's ``[心]`` as ``《心》``; mapping both to one form lets the model use
    what it learnt there on posts crawled from Weibo. Longer bracketed text (book titles) is left alone.
    """
    if _EMOTICON_OPEN.keys().isdisjoint(tokens):  # the common case, checked at C speed
        return tokens
    out: list[str] = []
    i = 0
    while i < len(tokens):
        close = _EMOTICON_OPEN.get(tokens[i])
        if close is not None:
            j = i + 1
            while j < len(tokens) and j - i <= _EMOTICON_MAX and tokens[j] != close:
                j += 1
            inner = "".join(tokens[i + 1 : j])
            if j < len(tokens) and tokens[j] == close and 0 < len(inner) <= _EMOTICON_MAX:
                out.append(f"[{inner}]")
                i = j + 1
                continue
        out.append(tokens[i])
        i += 1
    return out


def sentiment_features(tokens: list[str]) -> Iterator[str]:
    """Feature tokens for the Bayes classifier from jieba words (see module docstring)."""
    negate = False
    boost = False
    for word in merge_emoticons(tokens):
        if word in NEGATORS:
            negate = True
            continue
        if word in INTENSIFIERS:
            boost = True
            continue
        if negate and word in _FILLERS:
            continue
        if not _is_content(word):
            # Punctuation ends a clause: a pending negation or intensifier has nothing left to modify.
            if not word.isalnum():
                negate = boost = False
            continue
        feature = "不_" + word if negate else word
        yield feature
        if boost:
            yield feature
        if negate:  # a generic marker: unseen "不_X" still leans the way negations usually do
            yield "不"
        negate = boost = False
    if negate:  # a trailing negator ("满意吗？不") still says "not"
        yield "不"
