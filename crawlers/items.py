"""The one item every spider yields. Pipelines fill the derived fields; spiders fill the raw ones."""

from __future__ import annotations

import scrapy


class PostItem(scrapy.Item):
    # Filled by spiders (raw, as found on the page).
    source = scrapy.Field()  # source name from config ([[sources]] name)
    external_id = scrapy.Field()  # the site's own id when it has one, else None (the URL is the identity)
    url = scrapy.Field()  # page URL of the post (canonicalised by the normalise pipeline)
    title = scrapy.Field()
    text = scrapy.Field()
    author = scrapy.Field()  # raw handle: replaced by a salted hash in the normalise pipeline, never stored
    published_raw = scrapy.Field()  # the time as printed ("3小时前", "06月17日 18:12", RFC 822, epoch ms…)
    fetched_at = scrapy.Field()  # aware datetime (UTC) of the fetch; relative times resolve against it
    metrics = scrapy.Field()  # optional dict: reposts, comments, likes, views, floors
    # Message boards: the official reply published on the same page (becomes a Response candidate).
    reply_text = scrapy.Field()
    reply_unit = scrapy.Field()
    reply_raw_time = scrapy.Field()

    # Filled by pipelines.
    author_hash = scrapy.Field()
    published_at = scrapy.Field()  # aware UTC datetime, or None when the time could not be read
    reply_at = scrapy.Field()
    content_hash = scrapy.Field()
    analysis = scrapy.Field()  # analysis.Analysis
