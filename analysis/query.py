"""Boolean topic queries: ``(食堂 OR 学校) AND (中毒 OR 腹泻) NOT 演习``.

Syntax (operators bind NOT > AND > OR; adjacent operands are ANDed):
- ``AND`` / ``且`` / ``&``, ``OR`` / ``或`` / ``|``, ``NOT`` / ``非`` / ``-`` (prefix: ``-演习``);
  the words AND/OR/NOT are upper case, and 且/或/非 count as operators only as separate words
  (``非法集资`` is a term, ``食堂 非 演习`` is a negation);
- parentheses ``( )`` or ``（ ）``; phrases in ``"…"``, ``“…”`` or ``「…」`` keep their spaces.
Terms match as substrings of the normalised, case-folded text (``analysis.normalize.fold``), so
full/half width, traditional characters and zero-width characters do not matter; pure ASCII terms
(``AI``, ``5G``) match only as whole words.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

from analysis.normalize import fold

_OPEN: Final = "(（"
_CLOSE: Final = ")）"
_QUOTES: Final = {'"': '"', "“": "”", "「": "」"}
_OPS: Final = {
    "AND": "AND",
    "且": "AND",
    "&": "AND",
    "OR": "OR",
    "或": "OR",
    "|": "OR",
    "NOT": "NOT",
    "非": "NOT",
}
_ASCII_WORD: Final = re.compile(r"[0-9a-z_]+")


class QuerySyntaxError(ValueError):
    """A query that cannot be parsed; ``position`` is the 0-based character index in the query."""

    def __init__(self, message_zh: str, position: int, query: str = "") -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh
        self.position = position
        self.query = query

    def __str__(self) -> str:
        head = f"查询语法错误：{self.message_zh}（第 {self.position + 1} 个字符）"
        if not self.query:
            return head
        # CJK characters take two terminal columns: pad the caret line by display width.
        pad = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in self.query[: self.position])
        return f"{head}\n  {self.query}\n  {' ' * pad}^"


@dataclass(frozen=True)
class _Tok:
    kind: str  # TERM, PHRASE, AND, OR, NOT, LPAREN, RPAREN, END
    text: str
    pos: int


def _starts_word(q: str, i: int) -> bool:
    return i == 0 or q[i - 1].isspace() or q[i - 1] in _OPEN


def _tokenize(q: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i = 0
    while i < len(q):
        ch = q[i]
        if ch.isspace():
            i += 1
        elif ch in _OPEN or ch in _CLOSE:
            toks.append(_Tok("LPAREN" if ch in _OPEN else "RPAREN", ch, i))
            i += 1
        elif ch in _QUOTES:
            end = q.find(_QUOTES[ch], i + 1)
            if end < 0:
                raise QuerySyntaxError("引号没有闭合", i, q)
            if not q[i + 1 : end].strip():
                raise QuerySyntaxError("引号中没有内容", i, q)
            toks.append(_Tok("PHRASE", q[i + 1 : end], i))
            i = end + 1
        elif ch == "-" and _starts_word(q, i) and i + 1 < len(q) and not q[i + 1].isspace():
            toks.append(_Tok("NOT", ch, i))  # "-演习" is NOT 演习; "covid-19" stays one term
            i += 1
        else:
            j = i
            while j < len(q) and not q[j].isspace() and q[j] not in _OPEN + _CLOSE and q[j] not in _QUOTES:
                j += 1
            word = q[i:j]
            toks.append(_Tok(_OPS[word], word, i) if word in _OPS else _Tok("TERM", word, i))
            i = j
    toks.append(_Tok("END", "", len(q)))
    return toks


@dataclass(frozen=True)
class Term:
    text: str  # folded
    phrase: bool = False

    def matches(self, folded: str) -> bool:
        if not _ASCII_WORD.fullmatch(self.text):
            return self.text in folded
        pattern = r"(?<![0-9a-z_])" + re.escape(self.text) + r"(?![0-9a-z_])"
        return re.search(pattern, folded) is not None

    def __str__(self) -> str:
        return f'"{self.text}"' if self.phrase else self.text


@dataclass(frozen=True)
class And:
    parts: tuple[Node, ...]

    def matches(self, folded: str) -> bool:
        return all(p.matches(folded) for p in self.parts)

    def __str__(self) -> str:
        return "(" + " AND ".join(map(str, self.parts)) + ")"


@dataclass(frozen=True)
class Or:
    parts: tuple[Node, ...]

    def matches(self, folded: str) -> bool:
        return any(p.matches(folded) for p in self.parts)

    def __str__(self) -> str:
        return "(" + " OR ".join(map(str, self.parts)) + ")"


@dataclass(frozen=True)
class Not:
    part: Node

    def matches(self, folded: str) -> bool:
        return not self.part.matches(folded)

    def __str__(self) -> str:
        return f"NOT {self.part}"


Node = Term | And | Or | Not


@dataclass(frozen=True)
class Query:
    """A parsed query. ``terms``: every distinct term and phrase (folded), in order of appearance."""

    source: str
    root: Node
    terms: tuple[str, ...]

    def matches(self, text: str) -> bool:
        return self.root.matches(fold(text))

    def matches_folded(self, folded: str) -> bool:
        """Match a text already passed through ``fold`` (saves work when testing many queries)."""
        return self.root.matches(folded)

    def __str__(self) -> str:
        return str(self.root)


MAX_DEPTH = 50


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.toks = _tokenize(source)
        self.i = 0
        self.terms: list[str] = []
        self.depth = 0

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def error(self, message: str, tok: _Tok) -> QuerySyntaxError:
        return QuerySyntaxError(message, tok.pos, self.source)

    def parse_or(self) -> Node:
        parts = [self.parse_and()]
        while self.peek().kind == "OR":
            self.take()
            parts.append(self.parse_and())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def parse_and(self) -> Node:
        parts = [self.parse_not()]
        while self.peek().kind in ("AND", "NOT", "TERM", "PHRASE", "LPAREN"):
            if self.peek().kind == "AND":
                self.take()
            parts.append(self.parse_not())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def deeper(self, tok: _Tok) -> None:
        """Nesting is recursive: refuse absurd depths with a clear error instead of a RecursionError."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"嵌套过深（括号与“非”最多 {MAX_DEPTH} 层）", tok)

    def parse_not(self) -> Node:
        if self.peek().kind == "NOT":
            tok = self.take()
            self.deeper(tok)
            node = Not(self.parse_not())
            self.depth -= 1
            return node
        return self.parse_atom()

    def parse_atom(self) -> Node:
        tok = self.take()
        if tok.kind in ("TERM", "PHRASE"):
            text = fold(tok.text)
            if not text:
                raise self.error("检索词在规范化后为空", tok)
            if text not in self.terms:
                self.terms.append(text)
            return Term(text, tok.kind == "PHRASE")
        if tok.kind == "LPAREN":
            if self.peek().kind == "RPAREN":
                raise self.error("括号中没有内容", tok)
            self.deeper(tok)
            node = self.parse_or()
            self.depth -= 1
            if self.peek().kind != "RPAREN":
                raise self.error("缺少右括号，与此处的左括号配对", tok)
            self.take()
            return node
        prev = self.toks[self.i - 2] if self.i >= 2 else None
        if tok.kind in ("END", "RPAREN") and prev is not None and prev.kind in ("AND", "OR", "NOT"):
            raise self.error(f"运算符“{prev.text}”后缺少检索词", prev)
        if tok.kind == "END":
            raise self.error("查询在此处意外结束，缺少检索词", tok)
        if tok.kind == "RPAREN":
            raise self.error("多余的右括号", tok)
        raise self.error(f"运算符“{tok.text}”前后缺少检索词", tok)


def parse(q: str) -> Query:
    """Parse a topic query; raise ``QuerySyntaxError`` with the position of the first problem."""
    if not q or not q.strip():
        raise QuerySyntaxError("查询为空", 0, q)
    parser = _Parser(q)
    root = parser.parse_or()
    tok = parser.peek()
    if tok.kind != "END":
        message = "多余的右括号" if tok.kind == "RPAREN" else f"无法理解的“{tok.text}”"
        raise parser.error(message, tok)
    return Query(source=q, root=root, terms=tuple(parser.terms))
