"""Kind-specific configuration keys of each source kind (documented in docs/sources.md).

The tracker validates `[[sources]]` entries against this table so a typo in a selector key is reported at
start-up instead of a spider silently finding nothing.
"""

from __future__ import annotations

from typing import Final

_LISTING: Final = frozenset(
    {
        "item_links",
        "title",
        "text",
        "time",
        "author",
        "next_page",
        "max_pages",
        "external_id",
        "link_selector",
    }
)

SOURCE_KIND_KEYS: Final[dict[str, frozenset[str]]] = {
    "replay": frozenset({"max_pages", "sections"}),
    "feed": frozenset({"follow", "text_selector"}),
    "article": frozenset({"link_selector", "max_pages"}),
    "listing": _LISTING,
    "msgboard": _LISTING | frozenset({"reply_text", "reply_unit", "reply_time", "board"}),
    "jsonapi": frozenset({"items_path", "fields", "page_param", "max_pages", "headers", "page_start"}),
    "weibo": frozenset({"mode", "max_pages"}),
    "tieba": frozenset({"max_pages", "max_threads", "floors"}),
}

#: kinds whose posts are message-board items (reply obligations in working days)
MESSAGE_BOARD_KINDS: Final = frozenset({"msgboard"})
