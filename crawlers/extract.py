"""Main text, title, publish time, author and 来源 of news and government article pages.

Main text by text density: every paragraph-like block scores by its length and punctuation (prose has
commas; menus do not), discounted by its share of link text; the score flows to the parent (and half
to the grandparent); containers named like navigation/comments/share are penalised and those named like
content (``TRS_Editor``, ``zoom``, ``article``…) favoured. The best container's blocks are the text.

Title and time: meta tags first (og:title, ArticleTitle, article:published_time, PubDate — the tags
Chinese government CMSs such as TRS and 拓尔思 emit), then the page's own "发布时间：…" line, then the
<h1> that the <title> repeats.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree
from parsel import Selector

from crawlers.htmltext import clean_text, element_text, node_text

_NEGATIVE = re.compile(
    r"comment|share|footer|foot\b|nav|related|relate|sidebar|side\b|recommend|\bad\b|ads|advert|copyright|"
    r"breadcrumb|position|location|menu|hot|rank|\beditor\b|prev|next|pager|toolbar|login|header",
    re.IGNORECASE,
)
_POSITIVE = re.compile(
    r"content|article|text|zoom|trs_editor|main|detail|post|ucap|body|wzxq|xxgk|news_con|conTxt",
    re.IGNORECASE,
)
_INLINE = frozenset(
    [
        "a",
        "span",
        "b",
        "strong",
        "em",
        "i",
        "u",
        "font",
        "small",
        "big",
        "sub",
        "sup",
        "label",
        "abbr",
        "cite",
        "code",
        "q",
        "mark",
    ]
)
_PUNCT = re.compile(r"[，。；：！？、,;!?]")
_MIN_BLOCK = 10
_MIN_LOOSE = 20

_TIME_META = (
    "article:published_time", "og:release_date", "pubdate", "publishdate", "publish_date", "publishtime",
    "datepublished", "dc.date", "dc.date.created", "dc.date.issued", "firstpublishedtime", "weibo:article:create_at",
)  # fmt: skip
_TITLE_META = ("og:title", "articletitle", "twitter:title", "dc.title")
_DATE = (
    r"\d{4} *[-年/.] *\d{1,2} *[-月/.] *\d{1,2} *日?(?: *\d{1,2} *[:：时] *\d{1,2}(?: *[:：分] *\d{1,2})?)?"
)
_LABELLED_DATE = re.compile(
    r"(?:发布时间|发布日期|发表时间|发表日期|发文日期|更新时间|时间|日期) *[:：]? *(" + _DATE + ")"
)
_ANY_DATE = re.compile(_DATE)
# Info lines run labels together ("作者：王小明编号：556688"): a value stops at the next label.
_NEXT_LABEL = r"(?=\s|$|[|｜【\[]|编号|来源|时间|日期|发布|浏览|点击|阅读|字号|责编|责任|作者|记者|编辑)"
_SOURCE = re.compile(r"(?:来源|信息来源|稿件来源|来源单位)\s*[:：]\s*([^\s|｜　:：]{2,30}?)" + _NEXT_LABEL)
_AUTHOR = re.compile(
    r"(?:作者|记者|撰稿|(?<![\u4e00-\u9fff])文\s*[/／])\s*[:：]?\s*([^\s|｜　:：]{2,20}?)" + _NEXT_LABEL
)
_TITLE_CLASS = re.compile(r"(?:^|[\s_-])(?:title|tit|bt|biaoti|headline)(?:$|[\s_-])", re.IGNORECASE)
_TITLE_SPLIT = re.compile(r"\s*(?:_|\||｜| - | — | – |--)\s*")


@dataclass(frozen=True)
class Article:
    title: str | None
    text: str
    published_raw: str | None
    author: str | None
    source: str | None  # 来源 (the publishing unit), when the page prints one


def extract_article(page: Selector) -> Article:
    """Title, main text, publish time (raw, for crawlers.timeparse), author and 来源 of an article page."""
    body_text = _body_text(page)
    return Article(
        title=find_title(page),
        text=main_text(page),
        published_raw=find_published(page, body_text),
        author=_meta(page, ("author", "article:author")) or _first_group(_AUTHOR, body_text),
        source=_meta(page, ("contentsource", "source")) or _first_group(_SOURCE, body_text),
    )


def main_text(page: Selector) -> str:
    """The main text of an article page ("" when no block qualifies)."""
    roots = page.xpath("//body")
    if not roots or not isinstance(roots[0].root, etree._Element):
        return ""
    body = roots[0].root
    scores: dict[etree._Element, float] = {}
    linked = _linked_lengths(body)
    for element, text in _blocks(body):
        share = min(linked.get(element, 0) / max(len(text), 1), 1.0)
        score = (1 + len(_PUNCT.findall(text)) + min(len(text) / 50, 5)) * (1 - share)
        parent = element.getparent()
        if parent is not None:
            scores[parent] = scores.get(parent, 0.0) + score
            grandparent = parent.getparent()
            if grandparent is not None:
                scores[grandparent] = scores.get(grandparent, 0.0) + score / 2
    if not scores:
        return ""
    best = max(scores, key=lambda element: scores[element] * _name_weight(element))
    return clean_text("\n".join(text for element, text in _blocks(best, skip_negative=True)))


def find_title(page: Selector) -> str | None:
    meta = _meta(page, _TITLE_META)
    if meta:
        return meta
    title_tag = clean_text(page.xpath("string(//title)").get() or "")
    headings = [clean_text(node_text(h)) for h in page.xpath("//h1 | //h2 | //h3")]
    named = [
        clean_text(node_text(node))
        for node in page.xpath("//body//*[@class or @id]")
        if _TITLE_CLASS.search(f"{node.attrib.get('class', '')} {node.attrib.get('id', '')}")
    ]
    for candidate in headings + named:
        if candidate and title_tag and candidate in title_tag:
            return candidate
    parts = [part for part in _TITLE_SPLIT.split(title_tag) if part]
    # A <title> that is only the site name ("江城县人民政府") is no title: prefer a title-named element.
    site_only = len(parts) <= 1 and not re.search(r"[，,：:？?]", title_tag) and len(title_tag) <= 12
    for candidate in named + headings[:1]:
        if 6 <= len(candidate) <= 100 and (site_only or not title_tag):
            return candidate
    if parts:
        return max(parts, key=len)
    return next((h for h in headings if h), None)


def find_published(page: Selector, body_text: str | None = None) -> str | None:
    meta = _meta(page, _TIME_META)
    if meta:
        return meta
    stamp = page.xpath("//time/@datetime").get()
    if stamp and stamp.strip():
        return stamp.strip()
    text = _body_text(page) if body_text is None else body_text
    labelled = _first_group(_LABELLED_DATE, text)
    if labelled:
        return labelled
    # Some pages print the date bare under the title: take the first one after the <h1>.
    heading = clean_text(page.xpath("string(//h1)").get() or "")
    start = text.find(heading) if heading else -1
    match = _ANY_DATE.search(text, max(start, 0), max(start, 0) + 400)
    return match.group(0) if match else None


def _blocks(root: etree._Element, skip_negative: bool = False) -> list[tuple[etree._Element, str]]:
    """Paragraph-like blocks under root, in document order: <p>/<pre>/<blockquote> with their whole
    text, and other elements with enough text of their own (old CMSs separate paragraphs with <br>)."""
    found: list[tuple[etree._Element, str]] = []
    for element in root.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        if not tag or tag in ("script", "style", "noscript") or _inside(element, root, {"p", "pre"}):
            continue
        if skip_negative and _in_negative(element, root):
            continue
        if tag in ("p", "pre", "blockquote"):
            text = element_text(element)
            if len(text) >= _MIN_BLOCK:
                found.append((element, text))
        elif tag not in _INLINE:
            own = clean_text(_own_text(element))
            if len(own) >= _MIN_LOOSE:
                found.append((element, own))
    return found


def _own_text(element: etree._Element) -> str:
    pieces = [element.text or ""]
    for child in element:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag in _INLINE:
            pieces.append(element_text(child))
        elif tag == "br":
            pieces.append("\n")
        pieces.append(child.tail or "")
    return "".join(pieces)


def _inside(element: etree._Element, root: etree._Element, tags: set[str]) -> bool:
    for ancestor in element.iterancestors():
        if ancestor is root:
            return False
        if ancestor.tag in tags:
            return True
    return False


def _in_negative(element: etree._Element, root: etree._Element) -> bool:
    node: etree._Element | None = element
    while node is not None and node is not root:
        if _NEGATIVE.search(_names(node)):
            return True
        node = node.getparent()
    return False


def _names(element: etree._Element) -> str:
    return f"{element.get('class') or ''} {element.get('id') or ''}"


def _name_weight(element: etree._Element) -> float:
    names = _names(element)
    weight = 1.0
    if _NEGATIVE.search(names):
        weight *= 0.2
    if _POSITIVE.search(names):
        weight *= 1.5
    return weight


def _linked_lengths(root: etree._Element) -> dict[etree._Element, int]:
    """Characters of link text under every element, in one pass over the page.

    Computed bottom-up once instead of re-reading every link for every block: on hostile pages (deeply
    nested links, binary junk parsed as HTML) the per-block way took time quadratic in the page size."""
    totals: dict[etree._Element, int] = {}
    # post-order without recursion: (element, children_done)
    stack: list[tuple[etree._Element, bool]] = [(root, False)]
    while stack:
        element, done = stack.pop()
        if element.tag == "a":
            totals[element] = len(element_text(element))  # a link counts whole; nested links not again
        elif done:
            totals[element] = sum(totals.get(child, 0) for child in element)
        else:
            stack.append((element, True))
            stack.extend((child, False) for child in element)
    return totals


def _meta(page: Selector, names: tuple[str, ...]) -> str | None:
    for meta in page.xpath("//meta"):
        key = (
            meta.attrib.get("property") or meta.attrib.get("name") or meta.attrib.get("itemprop") or ""
        ).lower()
        content = (meta.attrib.get("content") or "").strip()
        if key in names and content:
            return content
    return None


def _body_text(page: Selector) -> str:
    bodies = page.xpath("//body")
    return node_text(bodies[0]) if bodies else ""


def _first_group(pattern: re.Pattern[str], text: str) -> str | None:
    match = pattern.search(text)
    return match.group(1).strip() if match else None
