"""Government message boards (领导留言板, 市长信箱, 12345 公开答复): the listing spider plus the official reply.

Extra config keys: ``reply_text``, ``reply_unit``, ``reply_time`` (selectors on the detail page) and
``board`` (a label, e.g. "市长信箱", shown in docs/status only). The message is the post; the reply
fills PostItem.reply_text / reply_unit / reply_raw_time and becomes a Response candidate in the tracker.
A message without a reply yet is normal (reply fields stay None).

Incremental crawling must not skip a stored message that had no reply when it was stored — its reply
is exactly what we wait for — so this kind asks ``YUQING_KNOWN_REPLIED_URLS`` (default
``tracker.ingest.known_replied_urls``: URLs stored *with* a reply), falling back to known_urls.
"""

from __future__ import annotations

from typing import Any

from parsel import Selector

from crawlers.htmltext import select_text
from crawlers.spiders.listing import ListingSpider


class MessageBoardSpider(ListingSpider):
    name = "msgboard"
    known_setting = "YUQING_KNOWN_REPLIED_URLS"
    known_default = "tracker.ingest.known_replied_urls"

    def detail_fields(self, page: Selector) -> dict[str, Any]:
        fields = super().detail_fields(page)
        reply_text = select_text(page, self.option("reply_text"))
        fields["reply_text"] = reply_text
        # Unit and time only mean something next to a reply; a board that prints "答复单位：" on
        # unanswered messages must not produce a reply without text.
        has_reply = bool(reply_text)
        fields["reply_unit"] = select_text(page, self.option("reply_unit"), joiner=" ") if has_reply else None
        fields["reply_raw_time"] = (
            select_text(page, self.option("reply_time"), joiner=" ") if has_reply else None
        )
        return fields
