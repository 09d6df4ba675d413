"""Text out of HTML: config selectors (CSS or XPath) and block-aware element text.

Selectors in source config: a string starting with "/" or "(" is XPath, anything else CSS (parsel's
``::text`` and ``::attr(name)`` work). A selector that picks elements yields their block-aware text
(paragraphs and <br> become line breaks; scripts, styles and comments are dropped).
"""

from __future__ import annotations

import re

from lxml import etree, html
from parsel import Selector, SelectorList

_BLOCK_TAGS = frozenset(
    [
        "p",
        "div",
        "br",
        "li",
        "tr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "section",
        "article",
        "blockquote",
        "pre",
        "table",
        "ul",
        "ol",
        "dd",
        "dt",
        "header",
        "footer",
    ]
)
_DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "select", "textarea", "button")
_SPACE = re.compile(r"[ \t\r\f\v\u00a0\u3000]+")


def select(scope: Selector | SelectorList[Selector], expr: str) -> SelectorList[Selector]:
    """Apply a config selector: XPath when it starts with "/" or "(", else CSS."""
    expr = expr.strip()
    if expr.startswith(("/", "(", "./")):
        return scope.xpath(expr)
    return scope.css(expr)


def select_text(scope: Selector, expr: str | None, joiner: str = "\n") -> str | None:
    """Text picked by a config selector: strings as they are, elements as block-aware text. None if nothing."""
    if not expr:
        return None
    parts = [node_text(node) for node in select(scope, expr)]
    text = clean_text(joiner.join(part for part in parts if part.strip()))
    return text or None


def select_links(scope: Selector, expr: str) -> list[str]:
    """Hrefs picked by a link selector: attribute/text results as they are, elements via their @href
    (or the first descendant link's href), in page order, without repeats."""
    links: list[str] = []
    for node in select(scope, expr):
        root = node.root
        if isinstance(root, str):
            value = root
        else:
            value = node.attrib.get("href") or node.xpath(".//a/@href").get() or ""
        value = value.strip()
        if value and not value.startswith(("javascript:", "#", "mailto:")) and value not in links:
            links.append(value)
    return links


def node_text(node: Selector) -> str:
    """Block-aware text of one selected node (or the string itself for text/attribute results)."""
    root = node.root
    if isinstance(root, str):
        return root
    if not isinstance(root, etree._Element):
        return str(root)
    return element_text(root)


def element_text(element: etree._Element) -> str:
    pieces: list[str] = []
    _walk(element, pieces)
    return clean_text("".join(pieces))


def _walk(element: etree._Element, pieces: list[str]) -> None:
    """Text of a subtree with line breaks around block elements. Iterative, not recursive: hostile or
    broken pages nest 100,000 levels deep (unclosed tables), far past Python's recursion limit."""
    # Each stack entry is an element to open, or a string to emit when its element closes.
    stack: list[etree._Element | str] = [element]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            pieces.append(item)
            continue
        tag = item.tag if isinstance(item.tag, str) else ""
        if tag in _DROP_TAGS or not tag:  # comments and processing instructions have non-str tags
            if item.tail:
                pieces.append(item.tail)
            continue
        block = tag.lower() in _BLOCK_TAGS
        closing = ("\n" if block else "") + (item.tail or "")
        if closing:
            stack.append(closing)
        stack.extend(reversed(list(item)))
        if block:
            pieces.append("\n")
        if item.text:
            pieces.append(item.text)


def clean_text(text: str) -> str:
    """Collapse spaces within lines, drop blank lines, strip."""
    lines = (_SPACE.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def html_to_text(fragment: str | None) -> str:
    """Plain text of an HTML fragment (feed descriptions, JSON API bodies, Weibo text)."""
    if not fragment or not fragment.strip():
        return ""
    if "<" not in fragment and "&" not in fragment:
        return clean_text(fragment)
    try:
        root = html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return clean_text(fragment)
    return element_text(root)


def visible_text_length(page: Selector) -> int:
    """Characters of visible text on a page: tells "selectors broke" from "the page is empty"."""
    bodies = page.xpath("//body")
    target = bodies[0] if bodies else page
    return len(node_text(target).replace("\n", ""))
